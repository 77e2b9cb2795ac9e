"""Learning one kernel from data: gradient descent on a single convolution.

Given an image ``X`` and the image ``Y = conv2d(X, K)`` that an unknown kernel ``K`` made
of it, find ``K`` again. Start from a random kernel ``W`` and repeat:

1. forward: ``Y_hat = conv2d(X, W)``;
2. loss: ``L = mean((Y_hat - Y) ** 2) / 2``, the mean squared error (halved, so that its
   gradient has no 2);
3. backward: ``dL/dY_hat = (Y_hat - Y) / n`` for ``n`` output pixels, and
   ``dL/dW = conv2d_grad_weight(X, dL/dY_hat)``: a correlation of the input with the
   output gradient;
4. step: ``W -= lr * dL/dW``.

This is the experiment of d2l.ai's section 7.2.4 ("Learning a Kernel"), done with the
book's own convolution and its gradient instead of a framework's autograd. The loss is a
quadratic function of ``W``, so gradient descent with a small enough step converges to
the kernel that fits best, which is ``K`` itself when ``Y`` was made by ``K``.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> image = rng.random((20, 20))
>>> kernel = np.array([[1.0, -1.0]])
>>> history = learn_kernel(image, conv2d(image, kernel), (1, 2), lr=1.0, steps=300)
>>> history.kernels[-1].round(3)
array([[ 1., -1.]])
>>> bool(history.losses[-1] < 1e-8 < history.losses[0])
True
"""

from dataclasses import dataclass

import numpy as np

from lib._validation import as_array, as_int, as_pair, check_ndim
from lib.convolution import conv2d
from lib.gradients import conv2d_grad_weight

__all__ = [
    "KernelHistory",
    "kernel_loss",
    "learn_kernel",
    "step_limit",
    "loss_hessian",
    "condition_numbers",
    "kernel_learning_animation",
]


@dataclass(frozen=True)
class KernelHistory:
    """What :func:`learn_kernel` went through.

    Attributes
    ----------
    kernels : numpy.ndarray
        ``(steps + 1, kH, kW)``: the kernel before the first step and after each step.
    losses : numpy.ndarray
        ``(steps + 1,)``: the loss of each of those kernels.
    lr : float
        The step size used.
    """

    kernels: np.ndarray
    losses: np.ndarray
    lr: float


def kernel_loss(image, target, kernel):
    """The loss of ``kernel`` and its gradient: ``(L, dL/dkernel)``.

    ``L = mean((conv2d(image, kernel) - target) ** 2) / 2``, and its gradient is the
    correlation of ``image`` with the output gradient ``(conv2d(image, kernel) - target)
    / n`` (:func:`lib.conv2d_grad_weight`).

    Parameters
    ----------
    image : array_like
        ``(H, W)``.
    target : array_like
        ``(H - kH + 1, W - kW + 1)``: the valid convolution's output to fit.
    kernel : array_like
        ``(kH, kW)``.

    Returns
    -------
    loss : float
    grad : numpy.ndarray
        ``(kH, kW)``, float64.

    Raises
    ------
    ValueError
        If ``target`` does not have the shape of ``conv2d(image, kernel)``.

    Examples
    --------
    >>> image = np.arange(9.0).reshape(3, 3)
    >>> loss, grad = kernel_loss(image, np.zeros((2, 2)), np.array([[1.0]]))
    Traceback (most recent call last):
    ...
    ValueError: target must have the shape of conv2d(image, kernel), (3, 3); got (2, 2)
    >>> loss, grad = kernel_loss(image, np.zeros((3, 3)), np.array([[1.0]]))
    >>> float(loss), grad
    (11.333333333333334, array([[22.66666667]]))
    """
    image = as_array(image, "image").astype(float)
    target = as_array(target, "target").astype(float)
    kernel = as_array(kernel, "kernel").astype(float)
    check_ndim(image, "image", {2: "(H, W)"})
    check_ndim(kernel, "kernel", {2: "(kH, kW)"})
    output = conv2d(image, kernel)
    if target.shape != output.shape:
        raise ValueError(
            f"target must have the shape of conv2d(image, kernel), {output.shape}; "
            f"got {target.shape}"
        )
    residual = output - target
    loss = 0.5 * np.mean(residual**2)
    grad = conv2d_grad_weight(image, residual / residual.size, kernel.shape)
    return float(loss), grad


def learn_kernel(image, target, kernel_size, *, lr, steps, seed=0, scale=0.1):
    """Gradient descent on a kernel, from a random start, to fit ``target``.

    Parameters
    ----------
    image : array_like
        ``(H, W)``, the input.
    target : array_like
        The output to fit, of the valid convolution's shape.
    kernel_size : int or tuple of int
        The learned kernel's shape.
    lr : float
        The step size, ``> 0``. Too large (above 2 over the largest eigenvalue of the
        loss's Hessian ``A.T @ A / n``, the uncentred second moment of the image's
        windows, not their covariance: that is why removing the image's mean moves the
        limit) and the loss eventually grows instead of falling.
    steps : int
        How many steps, ``>= 0``.
    seed : int, optional
        Seeds the starting kernel, drawn from a normal distribution.
    scale : float, optional
        The starting kernel's standard deviation.

    Returns
    -------
    KernelHistory
        The kernel and its loss before the first step and after each.

    Raises
    ------
    ValueError
        If ``lr`` is not a positive number or ``steps`` not an int ``>= 0``, or as
        :func:`kernel_loss`.

    Examples
    --------
    >>> image = np.random.default_rng(1).random((8, 8))
    >>> history = learn_kernel(image, conv2d(image, np.eye(2)), 2, lr=0.5, steps=3)
    >>> history.kernels.shape, history.losses.shape
    ((4, 2, 2), (4,))
    """
    if isinstance(lr, bool) or not isinstance(lr, int | float) or not lr > 0:
        raise ValueError(f"lr must be a number > 0; got {lr!r}")
    steps = as_int(steps, "steps", minimum=0)
    shape = as_pair(kernel_size, "kernel_size", minimum=1)
    kernel = np.random.default_rng(seed).normal(scale=scale, size=shape)
    kernels, losses = [kernel.copy()], []
    for _ in range(steps):
        loss, grad = kernel_loss(image, target, kernel)
        losses.append(loss)
        kernel = kernel - lr * grad
        kernels.append(kernel.copy())
    losses.append(kernel_loss(image, target, kernel)[0])
    return KernelHistory(np.stack(kernels), np.array(losses), float(lr))


def step_limit(image, kernel_size):
    """The largest step size with which :func:`learn_kernel` still converges: ``2 / lambda``.

    The loss is quadratic in the kernel, with Hessian ``H = A.T @ A / n``, where each of
    the ``n`` rows of ``A`` is one window of the image, flattened. Gradient descent
    multiplies the error along an eigenvector of ``H`` with eigenvalue ``lambda`` by
    ``1 - lr * lambda`` at each step: it shrinks for every eigenvector only while
    ``lr < 2 / lambda_max``. The smallest eigenvalue sets how slowly the last error goes.

    Parameters
    ----------
    image : array_like
        ``(H, W)``.
    kernel_size : int or tuple of int
        The kernel's shape.

    Returns
    -------
    limit : float
        ``2 / lambda_max``.
    eigenvalues : numpy.ndarray
        The Hessian's eigenvalues, in increasing order.

    Examples
    --------
    Windows of independent pixels of variance 1/12 (uniform on 0..1, centred):

    >>> image = np.random.default_rng(0).random((200, 200)) - 0.5
    >>> limit, eigenvalues = step_limit(image, 2)
    >>> bool(20 < limit < 28), eigenvalues.shape
    (True, (4,))
    """
    eigenvalues = np.linalg.eigvalsh(loss_hessian(image, kernel_size))
    return float(2 / eigenvalues[-1]), eigenvalues


def loss_hessian(image, kernel_size):
    """The Hessian ``H = A.T @ A / n`` of :func:`kernel_loss` with respect to the kernel.

    Each of the ``n`` rows of ``A`` is one window of the image, flattened (row by row).
    ``H`` is the windows' uncentred second moment, not their covariance: adding a
    constant to the image changes it.

    Parameters
    ----------
    image : array_like
        ``(H, W)``.
    kernel_size : int or tuple of int

    Returns
    -------
    numpy.ndarray
        ``(kH * kW, kH * kW)``, symmetric.

    Examples
    --------
    >>> loss_hessian(np.ones((4, 4)), 2)
    array([[1., 1., 1., 1.],
           [1., 1., 1., 1.],
           [1., 1., 1., 1.],
           [1., 1., 1., 1.]])
    """
    image = as_array(image, "image").astype(float)
    check_ndim(image, "image", {2: "(H, W)"})
    kh, kw = as_pair(kernel_size, "kernel_size", minimum=1)
    windows = np.lib.stride_tricks.sliding_window_view(image, (kh, kw)).reshape(-1, kh * kw)
    return windows.T @ windows / len(windows)


def condition_numbers(hessian):
    """``(kappa, kappa_scaled)``: the condition number of ``hessian``, and that left after
    the best-known per-weight rescaling, ``D^-1/2 H D^-1/2`` with ``D = diag(H)``.

    A per-weight step size (as Adam's) can only rescale weights one by one; when the
    diagonal of ``H`` is flat it changes almost nothing, because the ill-conditioning is
    then in how the weights move together (the off-diagonal entries).

    Parameters
    ----------
    hessian : array_like
        Square, symmetric, with a positive diagonal.

    Returns
    -------
    (float, float)

    Examples
    --------
    A badly scaled but uncoupled Hessian: rescaling fixes it completely.

    >>> condition_numbers(np.diag([100.0, 1.0]))
    (100.0, 1.0)

    Coupled weights with equal scales: rescaling cannot help.

    >>> kappa, scaled = condition_numbers([[1.0, 0.9], [0.9, 1.0]])
    >>> round(kappa, 6), round(scaled, 6)
    (19.0, 19.0)
    """
    hessian = as_array(hessian, "hessian").astype(float)
    check_ndim(hessian, "hessian", {2: "(n, n)"})
    diagonal = np.diag(hessian)
    if hessian.shape[0] != hessian.shape[1] or not (diagonal > 0).all():
        raise ValueError(
            f"hessian must be square with a positive diagonal, got shape {hessian.shape}"
        )
    scale = 1 / np.sqrt(diagonal)
    scaled = hessian * scale[:, None] * scale[None, :]
    eig, eig_scaled = np.linalg.eigvalsh(hessian), np.linalg.eigvalsh(scaled)
    return float(eig[-1] / eig[0]), float(eig_scaled[-1] / eig_scaled[0])


def kernel_learning_animation(history, true_kernel, frames):
    """An animation of the kernel as it is learned, beside the true kernel and the loss.

    Parameters
    ----------
    history : KernelHistory
        From :func:`learn_kernel`.
    true_kernel : array_like
        The kernel that made the target, drawn beside the learned one.
    frames : sequence of int
        The steps to show, each ``0 .. steps``.

    Returns
    -------
    matplotlib.animation.FuncAnimation
        Show it with :func:`lib.animation.animation_html`.
    """
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation

    true_kernel = np.asarray(true_kernel, dtype=float)
    frames = [as_int(f, "frames", minimum=0) for f in frames]
    if max(frames) >= len(history.kernels):
        raise ValueError(f"frames must be steps 0 to {len(history.kernels) - 1}; got {max(frames)}")
    limit = max(np.abs(true_kernel).max(), np.abs(history.kernels[frames]).max())
    fig, (ax_true, ax_kernel, ax_loss) = plt.subplots(
        1, 3, figsize=(7.5, 2.7), gridspec_kw={"width_ratios": [1, 1, 1.6]}
    )
    style = {"cmap": "RdBu_r", "vmin": -limit, "vmax": limit}
    ax_true.imshow(true_kernel, **style)
    ax_true.set_title("true kernel", fontsize=9)
    image = ax_kernel.imshow(history.kernels[frames[0]], **style)
    texts = []
    for (y, x), value in np.ndenumerate(true_kernel):
        ax_true.text(x, y, f"{value:.0f}", ha="center", va="center", fontsize=8)
        texts.append(ax_kernel.text(x, y, "", ha="center", va="center", fontsize=7))
    for ax in (ax_true, ax_kernel):
        ax.set_xticks([])
        ax.set_yticks([])
    steps = np.arange(len(history.losses))
    ax_loss.semilogy(steps, history.losses, color="lightgrey")
    (curve,) = ax_loss.semilogy([], [], color="#0072B2")
    (dot,) = ax_loss.semilogy([], [], "o", color="#0072B2")
    ax_loss.set(xlabel="step", ylabel="loss (log scale)")
    fig.tight_layout()

    def draw(step):
        kernel = history.kernels[step]
        image.set_data(kernel)
        for text, value in zip(texts, kernel.ravel(), strict=True):
            text.set_text(f"{value:.2f}")
        ax_kernel.set_title(f"learned, step {step}", fontsize=9)
        curve.set_data(steps[: step + 1], history.losses[: step + 1])
        dot.set_data([step], [history.losses[step]])
        return [image, curve, dot, *texts]

    return FuncAnimation(fig, draw, frames=frames, interval=400, blit=False)
