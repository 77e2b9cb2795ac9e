"""lib.numpy_forward: LeNet-5's forward pass with lib's conv2d and pooling, checked
against the torch models (the oracle), layer by layer and prediction by prediction."""

import numpy as np
import pytest
import torch

from lib.datasets import load_mnist_sample, to_lenet5_input
from lib.models import LeNet5, LeNet5Modern, MaskedConv2d, Subsampling, c3_connections
from lib.numpy_forward import (
    LAYERS,
    lenet5_forward_numpy,
    partial_conv2d,
    predict_numpy,
    subsample,
)
from lib.training import train


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def digits():
    images, labels = load_mnist_sample("test")
    return to_lenet5_input(images[:300]), labels[:300]


def torch_maps(model, x):
    """Each layer's output after its activation, from the torch model."""
    t = torch.tensor(x, dtype=torch.float32)
    with torch.no_grad():
        if isinstance(model, LeNet5):
            f = model.squash
            c1 = f(model.c1(t))
            s2 = f(model.s2(c1))
            c3 = f(model.c3(s2))
            s4 = f(model.s4(c3))
            c5 = f(model.c5(s4))
            f6 = f(model.f6(c5.flatten(1)))
        else:
            c1 = torch.relu(model.c1(t))
            s2 = model.s2(c1)
            c3 = torch.relu(model.c3(s2))
            s4 = model.s4(c3)
            c5 = torch.relu(model.c5(s4))
            f6 = torch.relu(model.f6(c5.flatten(1)))
        out = model.output(f6)
    return dict(zip(LAYERS, (m.numpy() for m in (c1, s2, c3, s4, c5, f6, out)), strict=True))


@pytest.mark.parametrize("model_class", [LeNet5, LeNet5Modern])
@pytest.mark.parametrize("trained", [False, True])
def test_same_predictions_as_torch(digits, model_class, trained):
    x, y = digits
    torch.manual_seed(3)
    model = model_class()
    if trained:
        train(model, x, y, epochs=2, lr=3e-3, progress=False)
    model.eval()
    outputs, maps = lenet5_forward_numpy(model, x, return_maps=True)
    expected = torch_maps(model, x)
    for name in LAYERS:
        assert maps[name].shape == expected[name].shape, name
        scale = max(1.0, float(np.abs(expected[name]).max()))
        np.testing.assert_allclose(maps[name], expected[name], atol=2e-4 * scale, err_msg=name)
    with torch.no_grad():
        torch_predictions = model.predict(model(torch.tensor(x))).numpy()
    np.testing.assert_array_equal(predict_numpy(model, x), torch_predictions)
    assert outputs is maps["output"]


def test_the_model_is_left_alone(digits):
    model = LeNet5()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    lenet5_forward_numpy(model, digits[0][:5])
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, before[name])


def test_partial_conv2d_is_a_masked_convolution():
    rng = np.random.default_rng(0)
    c3 = MaskedConv2d(c3_connections(), 5)
    x = rng.normal(size=(2, 6, 14, 14))
    with torch.no_grad():
        expected = c3(torch.tensor(x, dtype=torch.float32)).numpy()
    weight = c3.weight.detach().double().numpy()
    bias = c3.bias.detach().double().numpy()
    ours = partial_conv2d(x, weight, bias, c3_connections())
    np.testing.assert_allclose(ours, expected, atol=1e-4)
    # the masked-out weights are ignored, whatever they hold
    noisy = weight + (1 - c3.mask.numpy()) * 100.0
    np.testing.assert_allclose(partial_conv2d(x, noisy, bias, c3_connections()), ours)


def test_subsample_matches_the_torch_layer():
    torch.manual_seed(0)
    s2 = Subsampling(6)
    x = np.random.default_rng(1).normal(size=(3, 6, 28, 28))
    with torch.no_grad():
        expected = s2(torch.tensor(x, dtype=torch.float32)).numpy()
    ours = subsample(x, s2.weight.detach().double().numpy(), s2.bias.detach().double().numpy())
    np.testing.assert_allclose(ours, expected, atol=1e-5)


def test_bad_input_is_named():
    with pytest.raises(TypeError, match="model must be"):
        lenet5_forward_numpy(torch.nn.Linear(2, 2), np.zeros((1, 1, 32, 32)))
    with pytest.raises(ValueError, match=r"images must have shape \(N, 1, 32, 32\)"):
        lenet5_forward_numpy(LeNet5(), np.zeros((1, 28, 28)))
    with pytest.raises(ValueError, match="images must have shape"):
        lenet5_forward_numpy(LeNet5(), np.zeros((1, 1, 28, 28)))
