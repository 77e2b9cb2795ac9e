"""lib.ablation: the switches of LeNet5Variant give LeNet5 and LeNet5Modern at the ends,
and each switch changes only its own part."""

import pytest
import torch
from torch import nn

from lib.ablation import SETTINGS, VARIANTS, LeNet5Variant, load_ablation, noise
from lib.models import (
    EuclideanRBF,
    LeNet5,
    LeNet5Modern,
    MaskedConv2d,
    Subsampling,
    parameter_table,
)


def test_no_switch_is_lenet5_weight_for_weight():
    torch.manual_seed(0)
    original = LeNet5()
    torch.manual_seed(0)
    variant = LeNet5Variant()
    expected = original.state_dict()
    assert variant.state_dict().keys() == expected.keys()
    assert all(torch.equal(value, expected[key]) for key, value in variant.state_dict().items())
    x = torch.randn(3, 1, 32, 32)
    assert torch.equal(variant(x), original(x))


def test_every_switch_is_lenet5modern():
    modern = LeNet5Modern()
    variant = LeNet5Variant(**VARIANTS["all five (LeNet5Modern)"])
    variant.load_state_dict(modern.state_dict())  # strict: the same layers and shapes
    x = torch.randn(3, 1, 32, 32)
    assert torch.equal(variant(x), modern(x))
    labels = torch.tensor([0, 1, 2])
    assert torch.equal(variant.loss(variant(x), labels), modern.loss(modern(x), labels))
    assert torch.equal(variant.predict(variant(x)), modern.predict(modern(x)))


@pytest.mark.parametrize(
    ("name", "parameters", "layer", "kind"),
    [
        ("ReLU", 60000, "c3", MaskedConv2d),
        ("max pooling", 60000 - 12 - 32, "s2", nn.MaxPool2d),
        ("full C3", 60000 + 900, "c3", nn.Conv2d),
        ("linear output", 60000 + 850, "output", nn.Linear),
        ("PyTorch's init", 60000, "s4", Subsampling),
    ],
)
def test_each_switch_changes_its_own_part(name, parameters, layer, kind):
    model = LeNet5Variant(**VARIANTS[name])
    assert parameter_table(model)[-1]["parameters"] == parameters
    assert type(getattr(model, layer)) is kind
    if name != "linear output":
        assert isinstance(model.output, EuclideanRBF)


def test_relu_switch_keeps_f6_squashed_for_the_prototypes():
    model = LeNet5Variant(relu=True)
    with torch.no_grad():
        model.f6.bias.fill_(-50.0)  # every F6 sum far below 0
        seen = {}
        model.output.register_forward_pre_hook(lambda m, args: seen.setdefault("f6", args[0]))
        model(torch.zeros(1, 1, 32, 32))
    # The RBF's -1 targets need negative F6 outputs, which a ReLU could not give.
    assert seen["f6"].max() < -1.7


def test_paper_init_against_torch_init():
    torch.manual_seed(0)
    paper = LeNet5Variant()
    torch.manual_seed(0)
    default = LeNet5Variant(torch_init=True)
    assert paper.c5.weight.abs().max() <= 2.4 / 400
    assert default.c5.weight.abs().max() > 2.4 / 400  # torch's bound is 1 / sqrt(400)
    assert default.c5.weight.abs().max() <= 1 / 400**0.5
    masked = default.c3.weight * (1 - default.c3.mask)
    assert torch.count_nonzero(masked) == 0  # the table still holds


def test_noise_pools_the_seeds_variances():
    runs = {"a": {"held_out_error_percent": [1.0, 2.0, 3.0]},
            "b": {"held_out_error_percent": [2.0, 2.0, 2.0]}}  # fmt: skip
    result = noise(runs, 3)
    assert result["pooled_std"] == pytest.approx(0.5**0.5, abs=1e-3)
    assert result["difference_standard_error"] == pytest.approx(0.5**0.5 * (2 / 3) ** 0.5, abs=1e-3)
    assert result["degrees_of_freedom"] == 4


def test_the_stored_result_is_of_these_variants_and_settings():
    """Chapter 5 reads results/lenet5_ablation.json: it must be what make ablation writes."""
    result = load_ablation()
    assert list(result["runs"]) == list(VARIANTS)
    settings = result["settings"]
    assert {**settings, "seeds": tuple(settings["seeds"])} == SETTINGS
    assert result["held_out_digits"] == SETTINGS["held_out"]
    for name, run in result["runs"].items():
        assert run["switches"] == VARIANTS[name]
        finals = run["held_out_error_percent"]
        assert len(finals) == len(SETTINGS["seeds"])
        assert [curve[-1] for curve in run["curves"]] == finals
        assert all(len(curve) == SETTINGS["epochs"] for curve in run["curves"])
        assert run["mean"] == pytest.approx(sum(finals) / len(finals), abs=1e-3)
        # an error on 500 digits is a whole number of digits: a multiple of 0.2 points
        assert all(abs(e / 0.2 - round(e / 0.2)) < 1e-6 for e in finals)
    assert result["noise"] == noise(result["runs"], len(SETTINGS["seeds"]))


def test_relu_switch_leaves_subsampling_linear_as_lenet5modern_does():
    torch.manual_seed(0)
    model = LeNet5Variant(relu=True)
    x = torch.randn(2, 1, 32, 32)
    with torch.no_grad():
        s2 = model.activations(x)["S2"]
        expected = model.s2(torch.relu(model.c1(x)))  # ReLU after C1 only, none after S2
    assert torch.equal(s2, expected)
    assert (s2 < 0).any()  # no activation clips the subsampling's output


def test_relu_after_subsampling_kills_maps_and_the_fixed_switch_does_not():
    from lib.ablation import dead_maps

    x = torch.rand(50, 1, 32, 32)
    torch.manual_seed(0)
    old = dead_maps(LeNet5Variant(relu=True, relu_after_subsampling=True), x)
    torch.manual_seed(0)
    new = dead_maps(LeNet5Variant(relu=True), x)
    assert old["S2"][0] > 0 and old["S4"][0] > 0  # seed 0: negative coefficient and bias
    assert new["S2"] == (0, 6) and new["S4"] == (0, 16)


def test_detectable_effect_grows_with_fewer_degrees_of_freedom():
    from lib.ablation import detectable_effect

    assert detectable_effect(1.0, 12) > detectable_effect(1.0, 1000) > 2.79
    assert detectable_effect(1.0, 12, power=0.5) < detectable_effect(1.0, 12)
