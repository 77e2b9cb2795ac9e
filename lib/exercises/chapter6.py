"""Checkers for chapter 6, "Learning the kernels".

In the chapter::

    from lib.exercises import chapter6 as ex

    ex.conv_weight_grad.check(conv_weight_grad)            # a kernel's gradient
    ex.tanh_backward.check(tanh_backward)                  # the scaled tanh, backwards
    ex.numerical_grad_kernel.check(numerical_grad_kernel)  # finite differences
    ex.transposed_conv.check(transposed_conv)              # zero insertion
    ex.sgd_step.check(sgd_step)                            # one step of SGD with momentum
    ex.subsampling_backward.check(subsampling_backward)    # LeNet's S2, backwards

Each exercise also has ``hint()`` (one more hint per call) and ``solution()``. The
references are lib's: :func:`lib.conv2d_grad_weight`, :func:`lib.avg_pool2d_grad`,
:func:`lib.transposed.conv_transpose2d`, and the models' constants, which the tests check
against ``torch.autograd`` and ``torch.optim.SGD``.

Examples
--------
>>> result = conv_weight_grad.check(_weight_grad_model)
conv_weight_grad: correct (5 of 5 cases).
>>> result = conv_weight_grad.check(lambda x, g: _weight_grad_model(x, g)[::-1, ::-1])
conv_weight_grad: incorrect. Kernel flipped: the tap (i, j) met the pixel (y + i, x + j)
    for every output (y, x): grad[i, j] = sum_{y,x} g[y, x] * image[y + i, x + j], a
    cross-correlation, with no flip. (Seen on a 5x6 image and a 3x4 output gradient (a
    3x3 kernel).) ex.conv_weight_grad.hint() gives a hint.
"""

import numpy as np

from lib.convolution import conv2d
from lib.exercises.checker import (
    Case,
    FunctionExercise,
    Mistake,
    array_problem,
    make_progress,
    same_values,
    type_name,
)
from lib.gradients import avg_pool2d_grad, conv2d_grad_weight
from lib.models import TANH_AMPLITUDE, TANH_SLOPE
from lib.transposed import conv_transpose2d, insert_zeros

# --- conv_weight_grad -----------------------------------------------------------------------


def _weight_grad_model(image, grad_output):
    """Gradient of a loss with respect to the kernel of conv2d(image, kernel), valid,
    stride 1, given grad_output, the loss's gradient with respect to the output."""
    image = np.asarray(image, dtype=float)
    grad_output = np.asarray(grad_output, dtype=float)
    oh, ow = grad_output.shape
    kh, kw = image.shape[0] - oh + 1, image.shape[1] - ow + 1
    grad = np.zeros((kh, kw))
    for i in range(kh):
        for j in range(kw):
            # Tap (i, j) met image[y + i, x + j] for every output (y, x).
            grad[i, j] = np.sum(grad_output * image[i : i + oh, j : j + ow])
    return grad


def _weight_grad(image, grad_output):
    kernel_shape = tuple(np.subtract(image.shape, grad_output.shape) + 1)
    return conv2d_grad_weight(image.astype(float), grad_output.astype(float), kernel_shape)


def _weight_grad_cases(rng, hidden):
    sizes = [((5, 6), (3, 4)), ((4, 4), (2, 2)), ((6, 5), (6, 3)), ((3, 7), (1, 5))]
    if hidden:
        sizes = []
        for _ in range(6):
            h, w = (int(n) for n in rng.integers(3, 10, size=2))
            kh, kw = int(rng.integers(2, h + 1)), int(rng.integers(2, w + 1))
            sizes.append(((h, w), (h - kh + 1, w - kw + 1)))
    cases = []
    for (h, w), (oh, ow) in sizes:
        k = f"{h - oh + 1}x{w - ow + 1}"
        cases.append(
            Case(
                (rng.normal(size=(h, w)), rng.normal(size=(oh, ow))),
                f"a {h}x{w} image and a {oh}x{ow} output gradient (a {k} kernel)",
            )
        )
    if not hidden:
        image = np.arange(16.0).reshape(4, 4)
        cases.append(Case((image, np.ones((3, 3))), "a 4x4 ramp and a gradient of ones"))
    return cases


def _same_shape_as_image(output, image, grad_output):
    return isinstance(output, np.ndarray) and output.shape == np.shape(image)


conv_weight_grad = FunctionExercise(
    "conv_weight_grad",
    "ch6-ex-weight-grad",
    reference=_weight_grad,
    model=_weight_grad_model,
    make_cases=_weight_grad_cases,
    mistakes=[
        Mistake(
            "kernel flipped",
            "the tap (i, j) met the pixel (y + i, x + j) for every output (y, x): grad[i, j] "
            "= sum_{y,x} g[y, x] * image[y + i, x + j], a cross-correlation, with no flip.",
            gives=lambda x, g: _weight_grad(x, g)[::-1, ::-1],
        ),
        Mistake(
            "the input's gradient",
            "that has the image's shape: it is the gradient with respect to the input. The "
            "kernel's gradient has one entry per tap, (H - Ho + 1, W - Wo + 1).",
            test=_same_shape_as_image,
        ),
        Mistake(
            "mean instead of sum",
            "each tap's gradient sums its products over every output position; it does not "
            "average them.",
            gives=lambda x, g: _weight_grad(x, g) / g.size,
        ),
        Mistake(
            "grad_output not used",
            "each window's product is weighted by the output's gradient g[y, x]; summing "
            "the windows alone is the gradient of the sum of the outputs.",
            gives=lambda x, g: _weight_grad(x, np.ones_like(g)),
        ),
    ],
    hints=[
        "Write the output as y[a, b] = sum_{i,j} image[a + i, b + j] * w[i, j]. Which "
        "outputs does the tap w[i, j] take part in, and multiplied by what?",
        "dL/dw[i, j] = sum_{a,b} g[a, b] * image[a + i, b + j]: the window of the image that "
        "starts at (i, j), of g's shape, times g, summed.",
        "Two loops over the kernel's taps, (i, j), each one np.sum(g * image[i : i + Ho, "
        "j : j + Wo]); or conv2d(image, g), a correlation of the image with g.",
    ],
)


# --- tanh_backward --------------------------------------------------------------------------


def _tanh_backward_model(a, grad_output):
    """Gradient through f(a) = 1.7159 tanh(2a/3): grad_output times f'(a)."""
    a = np.asarray(a, dtype=float)
    t = np.tanh(2 * a / 3)
    # f'(a) = 1.7159 * 2/3 * (1 - tanh(2a/3)^2): the chain rule through the inner 2a/3.
    return grad_output * 1.7159 * (2 / 3) * (1 - t**2)


def _tanh_backward(a, grad_output):
    t = np.tanh(TANH_SLOPE * np.asarray(a, dtype=float))
    return grad_output * TANH_AMPLITUDE * TANH_SLOPE * (1 - t**2)


def _tanh_cases(rng, hidden):
    if hidden:
        shapes = [(5,), (2, 3, 4), (7,), (3, 3)]
        return [
            Case((rng.normal(size=s) * 2, rng.normal(size=s)), f"an array of shape {s}")
            for s in shapes
        ] + [Case((rng.uniform(-6, 6, size=(4,)), rng.uniform(1, 2, size=(4,))), "large inputs")]
    return [
        Case((np.array([-1.0, 0.0, 1.0]), np.ones(3)), "a at -1, 0, 1 and a gradient of ones"),
        Case((np.linspace(-4, 4, 9), rng.normal(size=9)), "9 points from -4 to 4"),
        Case((rng.normal(size=(2, 3)), rng.normal(size=(2, 3))), "a 2x3 array"),
        Case((np.array([[3.0, -2.0], [0.5, 5.0]]), np.full((2, 2), 2.0)), "a 2x2 array"),
    ]


def _tanh_mistake(name, explanation, gives):
    return Mistake(name, explanation, gives=gives)


def _t(a):
    return np.tanh(2 * np.asarray(a, dtype=float) / 3)


tanh_backward = FunctionExercise(
    "tanh_backward",
    "ch6-ex-tanh-backward",
    reference=_tanh_backward,
    model=_tanh_backward_model,
    make_cases=_tanh_cases,
    mistakes=[
        _tanh_mistake(
            "grad_output not used",
            "the backward pass returns dL/da = dL/df * f'(a): multiply the derivative by "
            "grad_output, element by element.",
            lambda a, g: 1.7159 * (2 / 3) * (1 - _t(a) ** 2),
        ),
        _tanh_mistake(
            "inner slope forgotten",
            "the chain rule through tanh(2a/3) brings out the inner derivative, 2/3: "
            "f'(a) = 1.7159 * 2/3 * (1 - tanh(2a/3)^2).",
            lambda a, g: g * 1.7159 * (1 - _t(a) ** 2),
        ),
        _tanh_mistake(
            "amplitude forgotten",
            "f(a) = 1.7159 tanh(2a/3): the factor 1.7159 stays in the derivative.",
            lambda a, g: g * (2 / 3) * (1 - _t(a) ** 2),
        ),
        _tanh_mistake(
            "plain tanh's derivative",
            "that is the derivative of tanh(a), 1 - tanh(a)^2; the scaled tanh has "
            "1.7159 * 2/3 * (1 - tanh(2a/3)^2).",
            lambda a, g: g * (1 - np.tanh(a) ** 2),
        ),
        _tanh_mistake(
            "the output squared",
            "1 - f(a)^2 uses the scaled output; the derivative needs tanh(2a/3) itself: "
            "1 - tanh(2a/3)^2, which is 1 - (f(a) / 1.7159)^2.",
            lambda a, g: g * 1.7159 * (2 / 3) * (1 - (1.7159 * _t(a)) ** 2),
        ),
        _tanh_mistake(
            "square missing",
            "the derivative of tanh(u) is 1 - tanh(u)^2, with the square.",
            lambda a, g: g * 1.7159 * (2 / 3) * (1 - _t(a)),
        ),
    ],
    hints=[
        "f(a) = A tanh(S a). The derivative of tanh(u) is 1 - tanh(u)^2, and the chain rule "
        "multiplies by the inner derivative, S.",
        "f'(a) = A * S * (1 - tanh(S a)^2) with A = 1.7159 and S = 2/3. Check: f'(0) = 1.1439.",
        "The backward pass multiplies: return grad_output * f'(a).",
    ],
)


# --- numerical_grad_kernel ------------------------------------------------------------------


# The loss is not quadratic (a tanh of the residual, squared), so that a central difference
# at the given eps differs detectably from the exact gradient, and from one at another eps:
# an answer must take the finite difference it is asked for.


def _loss(image, kernel, target):
    return 0.5 * np.sum(np.tanh(conv2d(image, kernel) - target) ** 2)


def _numerical_model(image, kernel, target, eps):
    """Central differences of L(kernel) = sum(tanh(conv2d(image, kernel) - target)**2) / 2."""
    kernel = np.array(kernel, dtype=float)  # a copy: the caller's kernel stays as it is
    grad = np.zeros_like(kernel)
    for index in np.ndindex(kernel.shape):
        saved = kernel[index]
        kernel[index] = saved + eps
        plus = 0.5 * np.sum(np.tanh(conv2d(image, kernel) - target) ** 2)
        kernel[index] = saved - eps
        minus = 0.5 * np.sum(np.tanh(conv2d(image, kernel) - target) ** 2)
        kernel[index] = saved  # saved, not moved back: + eps - eps need not be exact
        grad[index] = (plus - minus) / (2 * eps)
    return grad


def _central(image, kernel, target, eps):
    """The reference: central differences of :func:`_loss`, on moved copies."""
    grad = np.zeros(kernel.shape)
    for index in np.ndindex(kernel.shape):
        plus, minus = kernel.astype(float), kernel.astype(float)
        plus[index] += eps
        minus[index] -= eps
        grad[index] = (_loss(image, plus, target) - _loss(image, minus, target)) / (2 * eps)
    return grad


def _exact(image, kernel, target, eps):
    """The exact gradient, which the central difference approaches as eps shrinks."""
    t = np.tanh(conv2d(image, kernel) - target)
    return conv2d_grad_weight(image, t * (1 - t**2), kernel.shape)


def _one_sided(image, kernel, target, eps):
    grad = np.zeros(kernel.shape)
    base = _loss(image, kernel, target)
    for index in np.ndindex(kernel.shape):
        moved = kernel.copy()
        moved[index] += eps
        grad[index] = (_loss(image, moved, target) - base) / eps
    return grad


def _numerical_cases(rng, hidden):
    sizes = [((5, 5), (3, 3), 1e-3), ((6, 4), (2, 3), 1e-2), ((4, 7), (1, 2), 1e-3)]
    if hidden:
        sizes = []
        for _ in range(5):
            h, w = (int(n) for n in rng.integers(3, 8, size=2))
            k = (int(rng.integers(1, h)), int(rng.integers(1, w)))
            sizes.append(((h, w), k, float(rng.choice([1e-2, 1e-3]))))
    cases = []
    for (h, w), (kh, kw), eps in sizes:
        image, kernel = rng.normal(size=(h, w)), rng.normal(size=(kh, kw))
        target = rng.normal(size=(h - kh + 1, w - kw + 1))
        cases.append(
            Case((image, kernel, target, eps), f"a {h}x{w} image, a {kh}x{kw} kernel, eps={eps:g}")
        )
    return cases


numerical_grad_kernel = FunctionExercise(
    "numerical_grad_kernel",
    "ch6-ex-numerical-grad",
    reference=_central,
    model=_numerical_model,
    make_cases=_numerical_cases,
    mistakes=[
        Mistake(
            "one-sided difference",
            "(L(w + eps) - L(w)) / eps is off by about eps / 2 times the second derivative; "
            "the central difference (L(w + eps) - L(w - eps)) / (2 eps) is off by about "
            "eps**2 / 6 times the third.",
            gives=_one_sided,
        ),
        Mistake(
            "twice the gradient",
            "the two points w + eps and w - eps are 2 eps apart: divide by 2 * eps; and the "
            "loss is half the sum of squares, with its 1/2.",
            gives=lambda x, k, t, e: 2 * _central(x, k, t, e),
        ),
        Mistake(
            "loss averaged",
            "the loss of this exercise is the sum, sum(tanh(conv2d(image, kernel) - target)**2)"
            " / 2, not the mean.",
            gives=lambda x, k, t, e: _central(x, k, t, e) / t.size,
        ),
        Mistake(
            "the exact gradient",
            "that is the exact gradient, not its finite-difference estimate: on this loss, "
            "which is not quadratic, the central difference at eps differs from it by about "
            "eps**2 / 6 times the third derivative. Compute the loss at kernel + eps and "
            "kernel - eps, tap by tap.",
            gives=_exact,
        ),
        Mistake(
            "tanh forgotten",
            "the loss squares tanh(conv2d(image, kernel) - target), not the residual itself.",
            gives=lambda x, k, t, e: conv2d_grad_weight(x, conv2d(x, k) - t, k.shape),
        ),
    ],
    hints=[
        "For each tap (i, j) of the kernel: add eps to it, compute the loss; subtract eps, "
        "compute the loss; the gradient is the difference over the distance, 2 * eps.",
        "Work on a copy of the kernel (kernel.astype(float) makes one), and put each tap back "
        "before moving the next by saving its value and assigning it again: adding eps, "
        "subtracting 2 * eps and adding eps need not give back the same float.",
        "The loss is 0.5 * np.sum(np.tanh(conv2d(image, k) - target) ** 2), with conv2d from lib; "
        "np.ndindex(kernel.shape) gives every (i, j).",
    ],
)


# --- transposed_conv ------------------------------------------------------------------------


def _transposed_model(x, kernel, stride):
    """Transposed convolution of one map: zeros in between, then a full correlation with
    the flipped kernel."""
    x, kernel = np.asarray(x, dtype=float), np.asarray(kernel, dtype=float)
    h, w = x.shape
    kh, kw = kernel.shape
    spread = np.zeros(((h - 1) * stride + 1, (w - 1) * stride + 1))
    spread[::stride, ::stride] = x  # stride - 1 zeros between neighbours
    padded = np.pad(spread, ((kh - 1, kh - 1), (kw - 1, kw - 1)))  # full: every overlap
    flipped = kernel[::-1, ::-1]
    out = np.zeros((padded.shape[0] - kh + 1, padded.shape[1] - kw + 1))
    for y in range(out.shape[0]):
        for xx in range(out.shape[1]):
            out[y, xx] = np.sum(padded[y : y + kh, xx : xx + kw] * flipped)
    return out


def _transposed(x, kernel, stride):
    return conv_transpose2d(x.astype(float), kernel.astype(float), stride)


def _transposed_cases(rng, hidden):
    settings = [((2, 3), (3, 3), 2), ((3, 3), (2, 2), 1), ((2, 2), (2, 3), 3), ((1, 4), (1, 2), 2)]
    if hidden:
        settings = []
        for _ in range(6):
            size = tuple(int(n) for n in rng.integers(1, 5, size=2))
            kernel = tuple(int(n) for n in rng.integers(1, 4, size=2))
            settings.append((size, kernel, int(rng.integers(1, 4))))
        settings[0] = (settings[0][0], (3, 2), 2)  # one case that shows a missing flip
    cases = []
    for (h, w), (kh, kw), s in settings:
        cases.append(
            Case(
                (rng.normal(size=(h, w)), rng.normal(size=(kh, kw)), s),
                f"a {h}x{w} map, a {kh}x{kw} kernel and stride {s}",
            )
        )
    if not hidden:
        cases.append(
            Case((np.array([[1.0, 10.0]]), np.array([[1.0, 2.0, 3.0]]), 2), "the chapter's example")
        )
    return cases


def _trailing_zeros(x, kernel, stride):
    spread = np.zeros((x.shape[0] * stride, x.shape[1] * stride))
    spread[::stride, ::stride] = x
    if stride == 1:
        raise ValueError("no trailing zeros with stride 1")
    return conv2d(spread, kernel[::-1, ::-1], padding="full")


def _stride_ignored(x, kernel, stride):
    if stride == 1:
        raise ValueError("a stride of 1 cannot show it")
    return conv_transpose2d(x, kernel, 1)


transposed_conv = FunctionExercise(
    "transposed_conv",
    "ch6-ex-transposed",
    reference=_transposed,
    model=_transposed_model,
    make_cases=_transposed_cases,
    mistakes=[
        Mistake(
            "kernel not flipped",
            "each entry of x stamps the kernel as it is onto the output, which a correlation "
            "computes with the kernel flipped: correlate with kernel[::-1, ::-1].",
            gives=lambda x, k, s: conv2d(insert_zeros(x, s), k, padding="full"),
        ),
        Mistake(
            "stride ignored",
            "with stride s, put s - 1 zeros between neighbouring entries of x first: the "
            "outputs of a stride-s convolution were s pixels apart.",
            gives=_stride_ignored,
        ),
        Mistake(
            "zeros after the last entry",
            "zeros go between entries only, not after the last one: the spread map has "
            "(H - 1) * s + 1 rows, and the output (H - 1) * s + kH, chapter 2's transposed "
            "output size.",
            gives=_trailing_zeros,
        ),
        Mistake(
            "s zeros instead of s - 1",
            "with stride s the entries land s pixels apart, so s - 1 zeros sit between two "
            "of them.",
            gives=lambda x, k, s: conv_transpose2d(x, k, s + 1),
        ),
        Mistake(
            "valid instead of full",
            "pad the spread map by kH - 1 rows and kW - 1 columns on every side (a full "
            "correlation): every position where the kernel overlaps it gives an output.",
            gives=lambda x, k, s: conv2d(insert_zeros(x, s), k[::-1, ::-1]),
        ),
    ],
    hints=[
        "Three steps: spread x with stride - 1 zeros between its entries; pad by kH - 1 and "
        "kW - 1 on every side; correlate with the kernel flipped in both directions.",
        "spread = np.zeros(((H - 1) * s + 1, (W - 1) * s + 1)); spread[::s, ::s] = x. The "
        "output has (H - 1) * s + kH rows, as transposed_output_size says.",
        "The flip is kernel[::-1, ::-1]; lib's conv2d(spread, flipped, padding='full') does "
        "the last two steps at once.",
    ],
)


# --- sgd_step -------------------------------------------------------------------------------


def _sgd_model(weight, grad, velocity, lr, momentum):
    """One step of SGD with momentum, as torch.optim.SGD takes it."""
    velocity = momentum * velocity + grad  # a running sum of past gradients, decaying
    weight = weight - lr * velocity  # down the slope: minus
    return weight, velocity


def _sgd(weight, grad, velocity, lr, momentum):
    new_velocity = momentum * velocity + grad
    return weight - lr * new_velocity, new_velocity


def _pair_problem(output, expected, args):
    if output is None:
        return "it returned None (is a return statement missing?)"
    if not isinstance(output, tuple | list) or len(output) != 2:
        return f"it returned {type_name(output)}, not a pair (new weight, new velocity)"
    for name, got, right in zip(("new weight", "new velocity"), output, expected, strict=True):
        problem = array_problem(got, right)
        if problem:
            return f"the {name}: {problem}"
    return None


def _pair_gives(wrong):
    """A mistake's test for pair answers: both arrays are those ``wrong`` gives."""

    def test(output, *args):
        if not isinstance(output, tuple | list) or len(output) != 2:
            return False
        mistaken = wrong(*args)
        return all(same_values(o, m) for o, m in zip(output, mistaken, strict=True))

    return test


def _sgd_cases(rng, hidden):
    count = 5 if hidden else 4
    cases = []
    for index in range(count):
        shape = tuple(int(n) for n in rng.integers(1, 5, size=int(rng.integers(1, 4))))
        lr = float(rng.choice([0.1, 0.01, 0.5]))
        momentum = float(rng.choice([0.9, 0.5, 0.0])) if index else 0.9
        args = (rng.normal(size=shape), rng.normal(size=shape), rng.normal(size=shape))
        cases.append(
            Case((*args, lr, momentum), f"arrays of shape {shape}, lr={lr}, momentum={momentum}")
        )
    return cases


sgd_step = FunctionExercise(
    "sgd_step",
    "ch6-ex-sgd-step",
    reference=_sgd,
    model=_sgd_model,
    make_cases=_sgd_cases,
    problem=_pair_problem,
    mistakes=[
        Mistake(
            "gradient ascent",
            "the gradient points uphill; a step that lowers the loss subtracts it: "
            "weight - lr * velocity.",
            test=_pair_gives(lambda w, g, v, lr, m: (w + lr * (m * v + g), m * v + g)),
        ),
        Mistake(
            "momentum ignored",
            "the velocity keeps a decaying sum of the past gradients: momentum * velocity + grad.",
            test=_pair_gives(lambda w, g, v, lr, m: (w - lr * g, g)),
        ),
        Mistake(
            "old velocity used",
            "update the velocity first, then step with the new one, as torch.optim.SGD does.",
            test=_pair_gives(lambda w, g, v, lr, m: (w - lr * v, m * v + g)),
        ),
        Mistake(
            "learning rate in the velocity",
            "that is another convention (velocity = momentum * velocity + lr * grad); it "
            "takes the same steps while lr is constant, but its velocity differs, and the two "
            "part when a schedule changes lr. This exercise follows torch.optim.SGD: "
            "velocity = momentum * velocity + grad, weight -= lr * velocity.",
            test=_pair_gives(lambda w, g, v, lr, m: (w - (m * v + lr * g), m * v + lr * g)),
        ),
        Mistake(
            "dampened velocity",
            "velocity = momentum * velocity + (1 - momentum) * grad is the moving-average "
            "form (torch.optim.SGD's dampening = momentum; many courses use it); it scales "
            "every step by (1 - momentum). This exercise follows torch.optim.SGD's default, "
            "dampening 0: velocity = momentum * velocity + grad "
            "(https://docs.pytorch.org/docs/stable/generated/torch.optim.SGD.html).",
            test=_pair_gives(
                lambda w, g, v, lr, m: (w - lr * (m * v + (1 - m) * g), m * v + (1 - m) * g)
            ),
        ),
        Mistake(
            "velocity not updated",
            "return the new velocity, momentum * velocity + grad, so that the next step can "
            "use it.",
            test=_pair_gives(lambda w, g, v, lr, m: (w - lr * (m * v + g), v)),
        ),
    ],
    hints=[
        "Two lines: the new velocity from the old one and the gradient; then the new weight "
        "from the new velocity.",
        "velocity = momentum * velocity + grad; weight = weight - lr * velocity.",
        "Return both, as a pair: return weight, velocity. Do not change the arrays you were "
        "given in place (no -=).",
    ],
)


# --- subsampling_backward -------------------------------------------------------------------


def _subsampling_model(grad_output, coefficient):
    """Gradient of S2's y = coefficient * (sum of each 2x2 window) + bias, w.r.t. its input."""
    grad_output = np.asarray(grad_output, dtype=float)
    coefficient = np.asarray(coefficient, dtype=float)
    # Each of the window's four pixels entered the sum once: it gets the window's gradient
    # times its map's coefficient.
    scaled = grad_output * coefficient[None, :, None, None]
    return scaled.repeat(2, axis=2).repeat(2, axis=3)


def _subsampling(grad_output, coefficient):
    n, c, h, w = grad_output.shape
    # The window sum is 4 times average pooling: its gradient is 4 times avg_pool2d_grad's.
    scaled = 4 * grad_output * coefficient[None, :, None, None]
    return avg_pool2d_grad(scaled, (n, c, 2 * h, 2 * w), 2)


def _subsampling_cases(rng, hidden):
    shapes = [(1, 2, 2, 3), (2, 3, 2, 2), (1, 6, 3, 3), (2, 1, 1, 4)]
    if hidden:
        shapes = [tuple(int(n) for n in rng.integers(1, 6, size=4)) for _ in range(6)]
        shapes[0] = (2, 3, 2, 2)
    cases = []
    for n, c, h, w in shapes:
        coefficient = rng.uniform(0.2, 2.0, size=c) * rng.choice([-1, 1], size=c)
        cases.append(
            Case(
                (rng.normal(size=(n, c, h, w)), coefficient),
                f"a gradient of shape {(n, c, h, w)} and {c} coefficients",
            )
        )
    return cases


def _one_pixel(g, coefficient):
    out = np.zeros((*g.shape[:2], 2 * g.shape[2], 2 * g.shape[3]))
    out[..., ::2, ::2] = g * coefficient[None, :, None, None]
    return out


subsampling_backward = FunctionExercise(
    "subsampling_backward",
    "ch6-ex-subsampling-backward",
    reference=_subsampling,
    model=_subsampling_model,
    make_cases=_subsampling_cases,
    mistakes=[
        Mistake(
            "average pooling's gradient",
            "S2 sums its window (it does not average it), so each pixel gets the whole "
            "gradient times the coefficient, not a quarter of it.",
            gives=lambda g, c: _subsampling(g, c) / 4,
        ),
        Mistake(
            "coefficient forgotten",
            "the window's sum is multiplied by its map's coefficient, so its gradient is too.",
            gives=lambda g, c: _subsampling(g, np.ones_like(c)),
        ),
        Mistake(
            "routed to one pixel",
            "that is max pooling's backward, which sends the gradient to the winner only; "
            "every pixel of a sum's window took part, and gets the same gradient.",
            gives=_one_pixel,
        ),
        Mistake(
            "coefficient divided",
            "y = coefficient * sum: the chain rule multiplies by the coefficient.",
            gives=lambda g, c: _subsampling(g, 1 / c),
        ),
    ],
    hints=[
        "y[n, c, i, j] = coefficient[c] * (x[n, c, 2i, 2j] + x[n, c, 2i, 2j+1] + x[n, c, "
        "2i+1, 2j] + x[n, c, 2i+1, 2j+1]) + bias[c]. What is dy / dx for each of the four?",
        "Every pixel of window (i, j) gets grad_output[n, c, i, j] * coefficient[c].",
        "grad_output * coefficient[None, :, None, None], then .repeat(2, axis=2).repeat(2, "
        "axis=3) copies each value onto its 2x2 window.",
    ],
)

#: Every exercise of the chapter that has a checker, in the order of the chapter. The
#: grader reads this.
EXERCISES = (
    conv_weight_grad,
    tanh_backward,
    numerical_grad_kernel,
    transposed_conv,
    sgd_step,
    subsampling_backward,
)

#: ``ex.progress()``: every exercise of the chapter checked again, one line each.
progress = make_progress(EXERCISES, 6)
