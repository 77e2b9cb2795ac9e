"""lib.numpy_nn: every layer's backward against torch.autograd, finite differences, the
whole LeNet-5 against lib.models.LeNet5, the optimisers against torch.optim, training
against lib.training.train on the same batches, and errors on bad input.

Layers compute in float32, like torch's; the tolerances are float32 rounding's.
"""

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from threadpoolctl import threadpool_limits

from lib import models, reproduce
from lib import numpy_nn as nnp
from lib.datasets import load_mnist_sample, to_lenet5_input
from lib.training import shuffled_batches
from lib.training import train as torch_train

F32 = {"rtol": 1e-4, "atol": 1e-5}
settings.register_profile("numpy-nn", max_examples=25, deadline=None)
LAYERS = settings.get_profile("numpy-nn")


@pytest.fixture(autouse=True)
def one_thread():
    """One thread for torch and for NumPy's BLAS: two spinning BLAS threads on a busy
    machine make a step tens of times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(1):
        yield
    torch.set_num_threads(threads)


def _tensor(array):
    return torch.tensor(array, dtype=torch.float32, requires_grad=True)


def _close(ours, theirs, scale=1.0, **tolerance):
    """ours == theirs within float32 rounding, relative to the size of theirs."""
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else theirs
    tolerance = {**F32, **tolerance}
    atol = tolerance["atol"] * max(scale, float(np.abs(theirs).max(initial=0.0)))
    np.testing.assert_allclose(ours, theirs, rtol=tolerance["rtol"], atol=atol)


def _check_layer(layer, x, torch_forward, torch_params=None, seed=0):
    """Forward, then backward of a random grad_y: the output, the input's gradient and
    every parameter's gradient equal torch's."""
    y = layer.forward(x)
    tx = _tensor(x)
    ty = torch_forward(tx)
    _close(y, ty)
    grad_y = np.random.default_rng(seed).standard_normal(y.shape).astype(np.float32)
    grad_x = layer.backward(grad_y)
    ty.backward(torch.from_numpy(grad_y))
    assert grad_x.shape == x.shape and grad_x.dtype == np.float32
    _close(grad_x, tx.grad)
    for name, tensor in (torch_params or {}).items():
        assert layer.grads[name].shape == layer.params[name].shape
        _close(layer.grads[name], tensor.grad)


def _params(layer):
    return {name: _tensor(value) for name, value in layer.params.items()}


# --- layers against autograd ------------------------------------------------------------


@settings(LAYERS)
@given(
    batch=st.integers(1, 3),
    channels=st.tuples(st.integers(1, 3), st.integers(1, 4)),
    size=st.tuples(st.integers(3, 9), st.integers(3, 9)),
    kernel=st.integers(1, 3),
    stride=st.integers(1, 3),
    padding=st.integers(0, 2),
    masked=st.booleans(),
    seed=st.integers(0, 2**31),
)
def test_conv2d_matches_autograd(batch, channels, size, kernel, stride, padding, masked, seed):
    (c, o), rng = channels, np.random.default_rng(seed)
    connections = None
    if masked:
        connections = rng.random((o, c)) < 0.6
        connections[np.arange(o), rng.integers(0, c, o)] = True  # every map reads one
    layer = Conv2d = nnp.Conv2d(c, o, kernel, stride, padding, connections, rng=rng)
    params = _params(Conv2d)
    table = np.ones((o, c), bool) if connections is None else connections
    mask = torch.tensor(table[..., None, None], dtype=torch.float32)

    def forward(x):
        return F.conv2d(x, params["weight"] * mask, params["bias"], stride, padding)

    x = rng.standard_normal((batch, c, *size)).astype(np.float32)
    _check_layer(layer, x, forward, params, seed)
    if masked:  # absent links: zero weight, zero gradient
        assert not layer.params["weight"][~connections].any()
        assert not layer.grads["weight"][~connections].any()


@settings(LAYERS)
@given(
    batch=st.integers(1, 3),
    channels=st.integers(1, 4),
    size=st.tuples(st.integers(2, 9), st.integers(2, 9)),
    kernel=st.integers(1, 3),
    seed=st.integers(0, 2**31),
)
def test_subsampling_matches_lib_models(batch, channels, size, kernel, seed):
    rng = np.random.default_rng(seed)
    if min(size) < kernel:
        size = (kernel, kernel)
    layer = nnp.Subsampling(channels, kernel, rng=rng)
    theirs = models.Subsampling(channels, kernel)
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(layer.params["weight"]))
        theirs.bias.copy_(torch.from_numpy(layer.params["bias"]))
    x = rng.standard_normal((batch, channels, *size)).astype(np.float32)
    _check_layer(layer, x, theirs, {"weight": theirs.weight, "bias": theirs.bias}, seed)


@settings(LAYERS)
@given(
    kind=st.sampled_from(["max", "avg"]),
    shape=st.tuples(st.integers(1, 2), st.integers(1, 3), st.integers(2, 9), st.integers(2, 9)),
    kernel=st.integers(1, 3),
    stride=st.none() | st.integers(1, 3),
    seed=st.integers(0, 2**31),
)
def test_pooling_matches_autograd(kind, shape, kernel, stride, seed):
    kernel = min(kernel, *shape[2:])
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    layer = (nnp.MaxPool2d if kind == "max" else nnp.AvgPool2d)(kernel, stride)
    pool = F.max_pool2d if kind == "max" else F.avg_pool2d
    _check_layer(layer, x, lambda t: pool(t, kernel, stride), seed=seed)


@settings(LAYERS)
@given(
    kind=st.sampled_from(["tanh", "relu", "flatten"]),
    shape=st.lists(st.integers(1, 5), min_size=2, max_size=4).map(tuple),
    seed=st.integers(0, 2**31),
)
def test_activations_and_flatten_match_autograd(kind, shape, seed):
    x = (3 * np.random.default_rng(seed).standard_normal(shape)).astype(np.float32)
    layer, forward = {
        "tanh": (nnp.ScaledTanh(), models.ScaledTanh()),
        "relu": (nnp.ReLU(), F.relu),
        "flatten": (nnp.Flatten(), lambda t: t.flatten(1)),
    }[kind]
    _check_layer(layer, x, forward, seed=seed)


@settings(LAYERS)
@given(
    batch=st.integers(1, 5),
    features=st.tuples(st.integers(1, 12), st.integers(1, 12)),
    seed=st.integers(0, 2**31),
)
def test_linear_and_rbf_match_autograd(batch, features, seed):
    (n_in, n_out), rng = features, np.random.default_rng(seed)
    x = rng.standard_normal((batch, n_in)).astype(np.float32)
    linear = nnp.Linear(n_in, n_out, rng=rng)
    params = _params(linear)
    _check_layer(linear, x, lambda t: F.linear(t, params["weight"], params["bias"]), params, seed)
    prototypes = np.sign(rng.standard_normal((n_out, n_in))).astype(np.float32)
    rbf = nnp.EuclideanRBF(prototypes)
    _check_layer(rbf, x, models.EuclideanRBF(prototypes), seed=seed)
    assert rbf.params == {} and rbf.grads == {}


@settings(LAYERS)
@given(
    batch=st.integers(1, 6),
    classes=st.integers(2, 10),
    j=st.none() | st.floats(0.5, 20),
    scale=st.floats(0.1, 60),
    seed=st.integers(0, 2**31),
)
def test_losses_and_their_gradients_match_autograd(batch, classes, j, scale, seed):
    rng = np.random.default_rng(seed)
    outputs = (scale * rng.random((batch, classes))).astype(np.float32)
    labels = rng.integers(0, classes, batch)
    for ours, theirs in (
        (lambda o, y: nnp.lenet5_loss(o, y, j=j), lambda o, y: models.lenet5_loss(o, y, j=j)),
        (nnp.cross_entropy, F.cross_entropy),
    ):
        loss, grad = ours(outputs, labels)
        t = _tensor(outputs)
        expected = theirs(t, torch.from_numpy(labels))
        expected.backward()
        assert isinstance(loss, float) and grad.dtype == np.float32
        _close(loss, expected.item(), scale=1.0)
        _close(grad, t.grad)


# --- finite differences -------------------------------------------------------------------


def test_gradients_match_finite_differences():
    """A small network of every parametrised layer kind: the analytic gradient of each
    parameter against central differences of the loss (float32, so a loose tolerance)."""
    rng = np.random.default_rng(0)
    model = nnp.Sequential(
        nnp.Conv2d(1, 3, 3, padding=1, rng=rng),
        nnp.ScaledTanh(),
        nnp.Subsampling(3, rng=rng),
        nnp.ScaledTanh(),
        nnp.Conv2d(3, 4, 3, connections=rng.random((4, 3)) < 0.7, rng=rng),
        nnp.ReLU(),
        nnp.Flatten(),
        nnp.Linear(4, 5, rng=rng),
    )
    x = rng.standard_normal((3, 1, 6, 6)).astype(np.float32)
    labels = np.array([0, 3, 4])

    def loss():
        return model.loss(model.forward(x), labels)[0]

    _, grad = model.loss(model.forward(x), labels)
    grad_x = model.backward(grad)
    h = 1e-2
    checked = 0
    for name, param, analytic in model.named_parameters():
        for index in list(np.ndindex(param.shape))[:6]:
            if name == "4.weight" and not model.layers[4].mask[index]:
                continue
            saved = param[index]
            param[index] = saved + h
            plus = loss()
            param[index] = saved - h
            minus = loss()
            param[index] = saved
            assert analytic[index] == pytest.approx((plus - minus) / (2 * h), rel=2e-2, abs=2e-4)
            checked += 1
    assert checked > 30
    for index in [(0, 0, 2, 3), (1, 0, 5, 5), (2, 0, 0, 1)]:
        saved = x[index]
        x[index] = saved + h
        plus = loss()
        x[index] = saved - h
        minus = loss()
        x[index] = saved
        assert grad_x[index] == pytest.approx((plus - minus) / (2 * h), rel=2e-2, abs=2e-4)


# --- LeNet-5 against lib.models.LeNet5 --------------------------------------------------------


def test_lenet5_matches_the_torch_model():
    """Same weights: the same distances, loss and gradient of every parameter."""
    torch.manual_seed(0)
    theirs = models.LeNet5()
    ours = nnp.LeNet5.from_torch(theirs)
    images, labels = load_mnist_sample("train")
    x, y = to_lenet5_input(images[:64]), labels[:64].astype(np.int64)
    distances = ours.forward(x)
    loss, grad = ours.loss(distances, y)
    grad_x = ours.backward(grad)
    tx = _tensor(x)
    expected = theirs(tx)
    expected_loss = theirs.loss(expected, torch.from_numpy(y))
    expected_loss.backward()
    _close(distances, expected)
    assert loss == pytest.approx(expected_loss.item(), rel=1e-5)
    _close(grad_x, tx.grad, atol=1e-4)
    torch_params = dict(theirs.named_parameters())
    names = [name for name, _, _ in ours.named_parameters()]
    assert names == list(torch_params)
    for name, _, grad_param in ours.named_parameters():
        # C3's masked weights: torch's gradient is masked too (the weight is w * mask)
        _close(grad_param, torch_params[name].grad, atol=1e-4)
    assert ours.num_trainable() == models.parameter_table(theirs)[-1]["parameters"] == 60000
    # Training skips the input's gradient: the parameters' gradients stay the same.
    first = {name: grad.copy() for name, _, grad in ours.named_parameters()}
    ours.forward(x)
    assert ours.backward(grad, input_grad=False) is None
    for name, _, grad_param in ours.named_parameters():
        np.testing.assert_array_equal(grad_param, first[name])
    np.testing.assert_array_equal(ours.predict(distances), theirs.predict(expected).numpy())


def test_lenet5_initialisation_follows_the_paper():
    model = nnp.LeNet5(seed=3)
    fan_in = {"c1": 25, "s2": 4, "s4": 4, "c5": 400, "f6": 120}
    for name, param, _ in model.named_parameters():
        layer = name.split(".")[0]
        if layer in fan_in:
            bound = 2.4 / fan_in[layer]
            assert np.abs(param).max() <= bound and np.abs(param).max() > 0.8 * bound
    c3 = model["c3"]
    reads = c3.mask[:, :, 0, 0].sum(axis=1)  # 3, 4 or 6 maps: fan-in 75, 100 or 150
    assert np.all(np.abs(c3.params["weight"]).max(axis=(1, 2, 3)) <= 2.4 / (25 * reads))
    assert not c3.params["weight"][c3.mask == 0].any()
    again = nnp.LeNet5(seed=3).state_dict()
    assert all(np.array_equal(v, again[k]) for k, v in model.state_dict().items())


# --- optimisers against torch.optim ------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        (lambda m: nnp.SGD(m, lr=0.05), lambda p: torch.optim.SGD(p, lr=0.05)),
        (
            lambda m: nnp.SGD(m, lr=0.05, momentum=0.9),
            lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9),
        ),
        (lambda m: nnp.Adam(m, lr=0.01), lambda p: torch.optim.Adam(p, lr=0.01)),
        (
            lambda m: nnp.Adam(m, lr=0.003, betas=(0.8, 0.99), eps=1e-6),
            lambda p: torch.optim.Adam(p, lr=0.003, betas=(0.8, 0.99), eps=1e-6),
        ),
    ],
)
def test_optimizers_take_torchs_steps(make):
    make_ours, make_theirs = make
    rng = np.random.default_rng(0)
    ours = nnp.Sequential(nnp.Linear(6, 5, rng=rng), nnp.ScaledTanh(), nnp.Linear(5, 3, rng=rng))
    weights = [torch.nn.Parameter(torch.tensor(p)) for _, p, _ in ours.named_parameters()]
    optimizer, torch_optimizer = make_ours(ours), make_theirs(weights)
    x = rng.standard_normal((8, 6)).astype(np.float32)
    y = rng.integers(0, 3, 8)
    for step in range(5):
        optimizer.lr = torch_optimizer.param_groups[0]["lr"] = 0.01 / (step + 1)  # a schedule
        _, grad = ours.loss(ours.forward(x), y)
        ours.backward(grad)
        optimizer.step()
        w1, b1, w2, b2 = weights
        scores = F.linear(models.ScaledTanh()(F.linear(torch.from_numpy(x), w1, b1)), w2, b2)
        torch_optimizer.zero_grad()
        F.cross_entropy(scores, torch.from_numpy(y)).backward()
        torch_optimizer.step()
    for (_, param, _), weight in zip(ours.named_parameters(), weights, strict=True):
        _close(param, weight, atol=1e-6)


# --- training -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def digits():
    images, labels = load_mnist_sample("train")
    return to_lenet5_input(images[:256]), labels[:256].astype(np.int64)


def test_numpy_training_follows_torchs_on_the_same_batches(digits):
    """Same initial weights, same batches, same schedule: the first epoch's losses and the
    weights after it agree within float32 rounding (grown over 16 Adam steps)."""
    x, y = digits
    torch.manual_seed(0)
    theirs = models.LeNet5()
    ours = nnp.LeNet5.from_torch(theirs)
    batches = shuffled_batches(len(y), 32, epochs=2, seed=5)
    options = {"epochs": 2, "batch_size": 32, "lr": 2e-3, "batches": batches, "progress": False}
    history = nnp.train(ours, x, y, **options)
    expected = torch_train(theirs, x, y, **options)
    assert history["loss"][0] == pytest.approx(expected["loss"][0], rel=1e-4)
    assert history["loss"][1] == pytest.approx(expected["loss"][1], rel=1e-2)
    assert history["accuracy"][0] == pytest.approx(expected["accuracy"][0], abs=2 / 256)
    state = dict(theirs.named_parameters())
    for name, param, _ in ours.named_parameters():
        _close(param, state[name], atol=1e-3)


def test_numpy_training_learns(digits):
    x, y = digits
    model = nnp.LeNet5(seed=1)
    before = nnp.evaluate(model, x, y)
    # LeNet-5 with the paper's initialisation starts slowly (as in test_training.py)
    history = nnp.train(model, x, y, epochs=4, batch_size=16, lr=1e-2, seed=2,
                        validation=(x[:64], y[:64]), progress=False)  # fmt: skip
    after = nnp.evaluate(model, x, y)
    assert sorted(history) == ["accuracy", "loss", "seconds", "val_accuracy", "val_loss"]
    assert all(len(values) == 4 for values in history.values())
    assert history["loss"][-1] < 0.6 * history["loss"][0]
    assert after.loss < before.loss and after.accuracy > before.accuracy + 0.15


def test_numpy_training_is_deterministic(digits):
    """The default batch order is shuffled_batches with the seed; so are the distortions'."""
    x, y = digits[0][:64], digits[1][:64]
    runs = []
    for batches in (None, shuffled_batches(64, 16, 2, seed=2)):
        model = nnp.LeNet5(seed=1)
        history = nnp.train(model, x, y, epochs=2, batch_size=16, seed=2, batches=batches,
                            distortions={"shift": 1.0}, progress=False)  # fmt: skip
        runs.append((history["loss"], model.state_dict()))
    assert runs[0][0] == runs[1][0]
    assert all(np.array_equal(v, runs[1][1][k]) for k, v in runs[0][1].items())


def test_a_quick_run_trains_a_few_batches_per_epoch(digits, monkeypatch):
    """The grader's quick run (CONVBOOK_QUICK_RUN) holds for the NumPy engine too."""
    monkeypatch.setenv("CONVBOOK_QUICK_RUN", "2")
    x, y = digits
    model = nnp.LeNet5(seed=0)
    adam = nnp.Adam(model)
    history = nnp.train(model, x, y, epochs=2, batch_size=16, optimizer=adam, progress=False)
    assert len(history["loss"]) == 2
    assert adam.state["c1.weight"]["t"] == 4  # 2 steps in each of 2 epochs, not 16


def test_distortions_match_torchs_resampling():
    from lib.numpy_nn.distortions import affine_resample, random_distortions

    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 1, 32, 32)).astype(np.float32)
    theta = np.zeros((5, 2, 3))
    theta[:, 0, 0], theta[:, 1, 1] = rng.uniform(0.8, 1.2, 5), rng.uniform(0.8, 1.2, 5)
    theta[:, 0, 1], theta[:, :, 2] = rng.uniform(-0.2, 0.2, 5), rng.uniform(-0.1, 0.1, (5, 2))
    grid = F.affine_grid(torch.tensor(theta, dtype=torch.float32), [5, 1, 32, 32],
                         align_corners=False)  # fmt: skip
    expected = F.grid_sample(torch.from_numpy(x), grid, align_corners=False)
    _close(affine_resample(x, theta), expected, atol=1e-5)
    distorted = random_distortions(x, rng=0)
    assert distorted.shape == x.shape and not np.allclose(distorted, x)
    np.testing.assert_array_equal(distorted, random_distortions(x, rng=0))


def test_the_numpy_full_scale_run_validates_on_held_out_digits_and_tests_once(monkeypatch):
    from lib.numpy_nn import training as numpy_training

    train_images, train_labels = load_mnist_sample("train")
    test_images, test_labels = load_mnist_sample("test")
    samples = {
        "train": (train_images[:300], train_labels[:300]),
        "test": (test_images[:50], test_labels[:50]),
    }
    monkeypatch.setattr(reproduce, "load_mnist", lambda split, data_dir=None: samples[split])
    monkeypatch.setattr(reproduce, "VALIDATION_DIGITS", 100)
    seen = []
    real_evaluate = numpy_training.evaluate

    def watched(model, images, labels, **options):
        seen.append(len(labels))
        return real_evaluate(model, images, labels, **options)

    monkeypatch.setattr(nnp, "evaluate", watched)
    monkeypatch.setattr(numpy_training, "evaluate", watched)
    results = reproduce.run_numpy(False, epochs=2, batch_size=50, lr=1e-3, seed=0,
                                  progress=False)  # fmt: skip
    assert seen == [100, 100, 50]  # validation after each epoch, the test digits once
    assert (results["training_digits"], results["validation_digits"]) == (200, 100)
    assert results["test_errors"].endswith("of 50")
    assert results["training"]["trainable_parameters"] == 60000
    assert "numpy" in results["training"]["engine"]


def test_reproduce_engine_option(tmp_path, monkeypatch, capsys):
    calls = {}

    def fake_run(distortions, epochs, batch_size, lr, seed, progress, distortion_scale=1.0):
        calls.update(distortions=distortions, epochs=epochs)
        return {"test_error_percent": 0.9, "test_errors": "90 of 10000", "seconds_total": 60.0}

    monkeypatch.setattr(reproduce, "run_numpy", fake_run)
    monkeypatch.setattr(reproduce, "run", None)  # the torch engine must not run
    output = tmp_path / "n.json"
    reproduce.main(["--engine", "numpy", "--output", str(output), "--threads", "1"])
    assert calls == {"distortions": False, "epochs": reproduce.NUMPY_SETTINGS["plain"]["epochs"]}
    assert "(numpy), plain: test error 0.90 %" in capsys.readouterr().out
    data = json.loads(output.read_text())
    assert "--engine numpy" in data["about"] and data["runs"]["plain"]
    assert reproduce.results_file(engine="numpy").name == "lenet5_mnist_numpy.json"


# --- bad input ------------------------------------------------------------------------------------


def test_bad_input_gets_errors_that_name_the_argument():
    with pytest.raises(ValueError, match="kernel_size must be >= 1"):
        nnp.Conv2d(1, 2, 0)
    with pytest.raises(TypeError, match="in_channels must be an int"):
        nnp.Conv2d(1.5, 2, 3)
    with pytest.raises(ValueError, match=r"connections must be a boolean array of shape"):
        nnp.Conv2d(2, 3, 3, connections=np.ones((2, 3), bool))
    with pytest.raises(ValueError, match="every output map must read"):
        nnp.Conv2d(2, 2, 3, connections=np.array([[True, True], [False, False]]))
    with pytest.raises(TypeError, match="rng must be"):
        nnp.Linear(2, 3, rng="seed")
    conv = nnp.Conv2d(2, 3, 3, rng=0)
    with pytest.raises(ValueError, match=r"x of Conv2d must have shape \(N, C, H, W\)"):
        conv.forward(np.zeros((2, 5, 5)))
    with pytest.raises(ValueError, match="x has 1 channels, the layer reads 2"):
        conv.forward(np.zeros((1, 1, 5, 5)))
    with pytest.raises(TypeError, match="x must hold real numbers"):
        conv.forward(np.full((1, 2, 5, 5), "a"))
    with pytest.raises(RuntimeError, match="Conv2d.backward needs a forward pass first"):
        conv.backward(np.zeros((1, 3, 3, 3)))
    conv.forward(np.zeros((1, 2, 5, 5)))
    with pytest.raises(ValueError, match="grad_y must have the shape of Conv2d's last output"):
        conv.backward(np.zeros((1, 3, 4, 4)))
    with pytest.raises(ValueError, match="x has 3 features, the layer reads 2"):
        nnp.Linear(2, 3, rng=0).forward(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="prototypes must have shape"):
        nnp.EuclideanRBF(np.zeros(3))
    with pytest.raises(ValueError, match="must be at least kernel_size"):
        nnp.Subsampling(1, 3, rng=0).forward(np.zeros((1, 1, 2, 2)))
    with pytest.raises(ValueError, match=r"labels must be integers of shape \(N,\)"):
        nnp.lenet5_loss(np.zeros((2, 10)), np.array([1, 2, 3]))
    with pytest.raises(ValueError, match=r"labels must lie in 0 .. 9"):
        nnp.cross_entropy(np.zeros((1, 10)), np.array([10]))
    with pytest.raises(TypeError, match="layers\\[1\\] must be a numpy_nn layer"):
        nnp.Sequential(nnp.ReLU(), torch.nn.ReLU())
    with pytest.raises(TypeError, match="model must have named_parameters"):
        nnp.Adam(object())
    model = nnp.Sequential(nnp.Linear(2, 2, rng=0))
    with pytest.raises(ValueError, match="lr must be a number >= 0"):
        nnp.SGD(model, lr=-1)
    with pytest.raises(ValueError, match="momentum must be below 1"):
        nnp.SGD(model, lr=0.1, momentum=1.0)
    with pytest.raises(ValueError, match="betas must each lie in"):
        nnp.Adam(model, betas=(0.9, 1.5))
    with pytest.raises(RuntimeError, match="parameter 0.weight has no gradient"):
        nnp.SGD(model, lr=0.1).step()
    with pytest.raises(TypeError, match="torch_model must be a lib.models.LeNet5"):
        nnp.LeNet5.from_torch(models.LeNet5Modern())
    x, y = np.zeros((4, 1, 32, 32), np.float32), np.arange(4)
    with pytest.raises(ValueError, match="optimizer must be one of"):
        nnp.train(nnp.LeNet5(), x, y, epochs=1, optimizer="rmsprop")
    with pytest.raises(ValueError, match="optimizer must have been made for model"):
        nnp.train(nnp.LeNet5(), x, y, epochs=1, optimizer=nnp.SGD(nnp.LeNet5(), lr=0.1))
    with pytest.raises(ValueError, match="epochs must be an int >= 1"):
        nnp.train(nnp.LeNet5(), x, y, epochs=0)
    with pytest.raises(ValueError, match=r"labels must be integers of shape \(N,\) with N = 4"):
        nnp.train(nnp.LeNet5(), x, y[:3], epochs=1)
    with pytest.raises(ValueError, match="batches must hold one list of index arrays per epoch"):
        nnp.train(nnp.LeNet5(), x, y, epochs=2, batches=shuffled_batches(4, 2, 1))
    with pytest.raises(ValueError, match=r"batches\[0\]\[0\] holds indices outside 0 .. 3"):
        nnp.train(nnp.LeNet5(), x, y, epochs=1, batches=[[np.array([0, 4])]])
    with pytest.raises(ValueError, match="engine must be one of"):
        reproduce.results_file(engine="jax")


def test_the_saved_numpy_run():
    """results/lenet5_mnist_numpy.json: the NumPy engine's full-scale run, in the torch
    runs' format, with validation curves (held-out digits), and the plain run meets the
    target set before it was made (chapter 6): at most 1.0 % test error, a round figure just
    above the paper's 0.95 %."""
    runs = reproduce.load_results(engine="numpy")["runs"]
    for name, run in runs.items():
        assert "numpy" in run["training"]["engine"] and run["training_digits"] == 55000
        assert reproduce.error_curve(run)[0] == "validation"
        assert all(len(curve) == run["epochs"] for curve in run["curves"].values())
        assert run["test_errors"] == f"{round(run['test_error_percent'] * 100)} of 10000"
        assert run["paper_error_percent"] == reproduce.PAPER_ERROR[name]
    assert runs["plain"]["test_error_percent"] <= 1.0, "the plain run's target: at most 1.0 %"


def test_the_numpy_engine_never_loads_torch():
    """A whole NumPy training run, distortions included, in a fresh process: torch is
    never imported (a grader's sandboxed check does not pay seconds for it either)."""
    import subprocess
    import sys

    code = (
        "import sys, numpy as np\n"
        "from lib import numpy_nn as nnp\n"
        "x = np.random.default_rng(0).normal(size=(8, 1, 32, 32))\n"
        "nnp.train(nnp.LeNet5(), x, np.arange(8), epochs=1, batch_size=4, progress=False,\n"
        "          distortions={'shift': 1.0}, validation=(x, np.arange(8)))\n"
        "print('torch' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
