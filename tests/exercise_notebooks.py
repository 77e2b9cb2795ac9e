"""A small instructor's notebook in the exact form of the chapters' exercises, and
student submissions made from it: the fixtures of the exercise tools' tests.

The notebook has chapter 1's six exercises, each in the form every chapter follows:

1. a markdown cell with the ``exercise`` directive, labelled with the exercise's label;
2. a markdown cell that opens the gated solution: ``solution-start`` with the label;
3. the answer cell: nbgrader solution metadata whose ``grade_id`` is the label, the
   solution between ``### BEGIN SOLUTION`` and ``### END SOLUTION``;
4. a markdown cell that closes it: ``solution-end``;
5. the check cell, read-only in nbgrader's metadata: ``ex.<name>.check(<name>)``.
"""

import nbformat

SETUP = "from lib import setup_notebook\n\nsetup_notebook()"
IMPORTS = "import numpy as np\n\nfrom lib import conv2d\nfrom lib.exercises import chapter1 as ex"

#: (name, label, title, answer-cell source) of chapter 1's exercises, in order.
EXERCISES = [
    (
        "corner_value",
        "ch1-ex-corner-value",
        "The corner by hand",
        "### BEGIN SOLUTION\ncorner_value = 27\n### END SOLUTION",
    ),
    (
        "output_shape",
        "ch1-ex-output-shape",
        "Predict a shape",
        "### BEGIN SOLUTION\noutput_shape = (5, 4)\n### END SOLUTION",
    ),
    (
        "cross_correlate2d",
        "ch1-ex-cross-correlate",
        "Implement cross-correlation",
        '''def cross_correlate2d(image, kernel):
    """Valid 2-D cross-correlation of an image with a kernel."""
    ### BEGIN SOLUTION
    image, kernel = (a.astype(np.int64) if a.dtype.kind in "iu" else a for a in (image, kernel))
    kh, kw = kernel.shape
    out = np.zeros(
        (image.shape[0] - kh + 1, image.shape[1] - kw + 1),
        dtype=np.result_type(image, kernel),
    )
    for y in range(out.shape[0]):
        for x in range(out.shape[1]):
            out[y, x] = np.sum(image[y : y + kh, x : x + kw] * kernel)
    return out
    ### END SOLUTION''',
    ),
    (
        "convolve2d_true",
        "ch1-ex-convolve-true",
        "True convolution",
        '''def convolve2d_true(image, kernel):
    """Valid true convolution: the kernel turned by 180 degrees."""
    ### BEGIN SOLUTION
    return cross_correlate2d(image, kernel[::-1, ::-1])
    ### END SOLUTION''',
    ),
    (
        "correlate_same",
        "ch1-ex-correlate-same",
        "Same-size output",
        '''def correlate_same(image, kernel):
    """Cross-correlation with zero padding that keeps the input's size (odd kernels)."""
    ### BEGIN SOLUTION
    ph, pw = (kernel.shape[0] - 1) // 2, (kernel.shape[1] - 1) // 2
    return cross_correlate2d(np.pad(image, ((ph, ph), (pw, pw))), kernel)
    ### END SOLUTION''',
    ),
    (
        "sobel_magnitude",
        "ch1-ex-sobel",
        "Edges with Sobel",
        '''def sobel_magnitude(image):
    """Gradient magnitude of Sobel's kernels, valid cross-correlation."""
    ### BEGIN SOLUTION
    sobel_x = np.array([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    image = np.asarray(image, dtype=float)
    gx = cross_correlate2d(image, sobel_x)
    gy = cross_correlate2d(image, sobel_x.T)
    return np.sqrt(gx**2 + gy**2)
    ### END SOLUTION''',
    ),
]


def nbgrader(grade_id, *, solution=False, locked=False):
    """The nbgrader cell metadata of an answer cell or of a read-only cell."""
    return {
        "nbgrader": {
            "grade": False,
            "grade_id": grade_id,
            "locked": locked,
            "schema_version": 3,
            "solution": solution,
        }
    }


def instructor_notebook(extra_cells=()):
    """Chapter 1's exercises in the chapters' form, with their solutions."""
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    nb = nbformat.v4.new_notebook()
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        md("# The convolution formula\n\nA chapter in miniature."),
        code(SETUP),
        code(IMPORTS),
        md("Some text, then a worked example.\n\n:::{solution} ch1-ex-unrelated\nGone.\n:::"),
        *extra_cells,
    ]
    for name, label, title, source in EXERCISES:
        nb.cells += [
            md(f":::{{exercise}} {title}\n:label: {label}\n\nWrite `{name}`.\n:::"),
            md(f"```{{solution-start}} {label}\n:class: dropdown\n```"),
            code(source, metadata=nbgrader(label, solution=True)),
            md("```{solution-end}\n```"),
            code(f"ex.{name}.check({name})", metadata=nbgrader(f"{label}-check", locked=True)),
        ]
    nb.cells.append(md("## Summary\n\nDone."))
    return nb


def with_answers(nb, answers):
    """A copy of notebook ``nb`` whose answer cells (by label) hold ``answers``' sources."""
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if cell.cell_type == "code" and grade_id in answers:
            cell.source = answers[grade_id]
    return nb


def solutions():
    """The instructor's answers, by label, without the solution markers."""
    return {
        label: "\n".join(line for line in source.split("\n") if "SOLUTION" not in line)
        for _, label, _, source in EXERCISES
    }
