"""nn.trained: a model saved by `glassgrad train` comes back in one call, standardisation and all."""

import hashlib
import json
import os
import re
import warnings

import numpy as np
import pytest

import nn.torch_format
import nn.trained
from nn import MLP, load, load_trained, save
from nn.trained import TrainedModel, trained_paths


def make_trained(task="classify", seed=0, classes=("a", "b", "c")):
    n_out = len(classes) if task == "classify" else 1
    mlp = MLP(2, [5], n_out, rng=np.random.default_rng(seed))
    classes = list(classes) if task == "classify" else []
    return TrainedModel(mlp, input_mean=[100.0, -3.0], input_std=[10.0, 0.5], task=task,
                        target="t", features=["u", "v"], classes=classes, hidden=[5])


def save_as_before(model, path, digest=True):
    """The pair earlier glassgrads wrote: weights without settings, settings with or without
    the weights' SHA-256."""
    weights, settings = trained_paths(path)
    save({**model.model.state_dict(), "input_mean": model.input_mean,
          "input_std": model.input_std}, weights)
    data = {**model.settings(), "weights": os.path.basename(weights)}
    if digest:
        data["weights_sha256"] = hashlib.sha256(open(weights, "rb").read()).hexdigest()
    open(settings, "w").write(json.dumps(data))
    return weights, settings


ROWS = np.array([[95.0, -2.0], [120.0, -4.0], [100.0, -3.0]])


def same_model(a, b):
    return np.array_equal(a(ROWS).numpy(), b(ROWS).numpy()) and a.classes == b.classes


@pytest.mark.parametrize("task", ["classify", "regress"])
def test_save_then_load_trained_predicts_the_same(tmp_path, task):
    model = make_trained(task)
    model.save(tmp_path / "m.npz")
    again = load_trained(tmp_path / "m.npz")
    rows = np.array([[95.0, -2.0], [120.0, -4.0], [100.0, -3.0]])
    outputs = model(rows).numpy()
    assert np.isfinite(outputs).all()
    np.testing.assert_array_equal(again(rows).numpy(), outputs)
    assert again.predict(rows).tolist() == model.predict(rows).tolist()
    assert (again.task, again.target, again.features) == (task, "t", ["u", "v"])


def test_the_inputs_are_standardised_before_the_mlp(tmp_path):
    model = make_trained()
    rows = np.array([[110.0, -2.5]])
    np.testing.assert_allclose(model(rows).numpy(), model.model(np.array([[1.0, 1.0]])).numpy(),
                               rtol=1e-6)


def test_predict_gives_class_names_or_numbers():
    rows = np.zeros((4, 2))
    assert set(make_trained().predict(rows).tolist()) <= {"a", "b", "c"}
    values = make_trained("regress").predict(rows)
    assert values.shape == (4,) and values.dtype.kind == "f"


def test_paths_never_share_a_name():
    for out in ("m", "m.npz", "m.json", "m.v2", "dir/m.npz"):
        weights, settings = trained_paths(out)
        assert weights != settings and weights.endswith(".npz") and settings.endswith(".json")


@pytest.mark.parametrize("nameless", ["", ".", "..", "runs/", ".npz", "runs/.JSON"])
def test_a_path_without_a_file_name_is_refused(nameless):
    """Such a path gave hidden files, ".npz" and ".json" (or ".npz.npz" and ".npz.json")."""
    with pytest.raises(ValueError, match="has no file name; give one such as 'model.npz'"):
        trained_paths(nameless)


def test_save_checks_both_destinations_before_writing_either(tmp_path):
    (tmp_path / "m.json").mkdir()
    with pytest.raises(IsADirectoryError) as err:
        make_trained().save(tmp_path / "m.npz")
    assert err.value.filename == str(tmp_path / "m.json")       # not a temporary file's name
    assert "TrainedModel.save: the destination is a folder" in str(err.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json"]   # no weights without settings


@pytest.mark.parametrize("change, message", [
    ({"task": "cluster"}, "'task' must be one of ('classify', 'regress')"),
    ({"hidden": [5, "x"]}, "'hidden' must be sizes"),
    ({"weights": "../elsewhere.npz"}, "'weights' must be a file name beside the settings"),
    ({"features": "u,v"}, "'features' must be a list of names"),
    ({"features": ["u", "u"]}, "'features' lists a name more than once"),
    ({"weights_sha256": "abc"}, "'weights_sha256' must be 64 hex digits"),
    ({"hidden": [True]}, "'hidden' must be sizes"),                  # was a TypeError later
    ({"activation": "swish"}, "'activation' must be one of ['celu', 'elu', 'gelu', "),   # named no file
])
def test_bad_settings_are_named(tmp_path, change, message):
    weights, settings = make_trained().save(tmp_path / "m.npz")
    data = json.loads(open(settings).read())
    data.update(change)
    open(settings, "w").write(json.dumps(data))
    with pytest.raises(ValueError, match="load_trained: .*m.json.*: " + re.escape(message)):
        load_trained(weights)


def test_weights_without_standardisation_are_refused(tmp_path):
    weights, settings = make_trained().save(tmp_path / "m.npz")
    save(make_trained().model, weights)                  # a plain MLP checkpoint instead
    data = json.loads(open(settings).read())
    del data["weights_sha256"]                           # (else the digest refuses it first)
    open(settings, "w").write(json.dumps(data))
    with pytest.raises(ValueError, match="has no input_mean/input_std"):
        load_trained(tmp_path / "m.json")


@pytest.mark.parametrize("state", [[1, 2], 3])
def test_weights_that_are_no_dict_are_named(tmp_path, state):
    """A PyTorch archive named model.npz is read as one: a list in it raised a TypeError."""
    nn.torch_format.save(state, tmp_path / "m.npz")
    with pytest.raises(ValueError, match=rf"m\.npz' holds a {type(state).__name__}, not the "
                                         rf"named arrays of a model saved by glassgrad train"):
        load_trained(tmp_path / "m.npz")


def test_a_missing_model_names_both_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="no model at .*m.npz.*: neither it nor its "
                                                "settings file .*m.json.* exists"):
        load_trained(tmp_path / "m.npz")


def test_a_file_or_folder_that_is_no_model_is_named(tmp_path):
    """Was "no model at 'data.csv.npz'", a file the user never named."""
    (tmp_path / "data.csv").write_text("a,b\n1,2\n")
    for given in (tmp_path / "data.csv", tmp_path):
        with pytest.raises(FileNotFoundError, match=rf"load_trained: '{re.escape(str(given))}' "
                                                    rf"is not a model: expected the \.npz or "
                                                    rf"\.json that glassgrad train wrote"):
            load_trained(given)


def test_older_weights_without_their_settings_file_say_what_is_missing(tmp_path):
    weights, settings = save_as_before(make_trained(), tmp_path / "m.npz")
    (tmp_path / "m.json").unlink()
    with pytest.raises(FileNotFoundError, match="no settings file .*m.json"):
        load_trained(weights)


def test_the_weights_file_alone_is_the_whole_model(tmp_path):
    model = make_trained()
    weights, settings = model.save(tmp_path / "m.npz")
    assert load(weights)["settings"] == model.settings()
    (tmp_path / "m.json").unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("error")                  # no json: nothing to warn about
        assert same_model(load_trained(weights), model)


def test_loading_a_cli_model_into_a_bare_mlp_points_to_load_trained(tmp_path):
    make_trained().save(tmp_path / "m.npz")
    with pytest.raises(ValueError, match=r"written by `glassgrad train`.*nn\.load_trained"):
        MLP(2, [5], 3).load(tmp_path / "m.npz")


def test_predict_refuses_nan_rows_and_the_wrong_number_of_features():
    model = make_trained()
    with pytest.raises(ValueError, match=r"TrainedModel\.predict: X contains NaN .*sample 1"):
        model.predict([[100.0, -3.0], [np.nan, -3.0]])       # would be class 'a', silently
    rows = np.zeros((9, 2))
    rows[1:, 0] = np.inf
    with pytest.raises(ValueError, match=r"infinity \(8 value\(s\) in 8 samples: 1, 2, 3, 4, "
                                         r"5, \.\.\.\)"):
        model.predict(rows)
    for rows in ([[1.0, 2.0, 3.0]], [[1.0]]):
        with pytest.raises(ValueError, match=r"TrainedModel: expected 2 features per row "
                                             r"\(u, v\), got \d"):
            model.predict(rows)
        with pytest.raises(ValueError, match="expected 2 features per row"):
            model(np.array(rows))


def test_older_weights_and_settings_from_two_saves_are_refused_as_a_pair(tmp_path):
    first, _ = save_as_before(make_trained(), tmp_path / "a.npz")
    other = make_trained()
    other.input_mean = np.array([1.0, 1.0])
    second, _ = save_as_before(other, tmp_path / "b.npz")
    (tmp_path / "a.npz").write_bytes((tmp_path / "b.npz").read_bytes())   # a's settings, b's weights
    with pytest.raises(ValueError, match=r"load_trained: .*a\.npz' is not the weights file its "
                                         r"settings .*a\.json' were saved with"):
        load_trained(first)


@pytest.mark.parametrize("digest", [True, False])
def test_pairs_saved_by_earlier_versions_still_load(tmp_path, digest):
    model = make_trained()
    weights, _ = save_as_before(model, tmp_path / "m.npz", digest=digest)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert same_model(load_trained(weights), model)


def test_weights_from_another_save_load_with_their_own_settings_and_a_warning(tmp_path):
    make_trained().save(tmp_path / "a.npz")
    other = make_trained(seed=1, classes=["x", "y"])
    other.save(tmp_path / "b.npz")
    (tmp_path / "a.npz").write_bytes((tmp_path / "b.npz").read_bytes())   # a's settings, b's weights
    with pytest.warns(UserWarning, match=r"a\.json' does not belong to .*a\.npz' .*used the "
                                         r"settings saved in the weights file"):
        assert same_model(load_trained(tmp_path / "a.npz"), other)


@pytest.mark.parametrize("keep_the_original", [True, False])
def test_a_pair_copied_or_renamed_loads_its_own_weights(tmp_path, keep_the_original):
    """The settings record "weights": "model.npz"; loading best.npz used to read model.npz,
    by then another run's weights (predicting with the wrong model, with a warning about the
    settings only), or to fail when model.npz was gone."""
    first, second = make_trained(), make_trained(seed=1, classes=["x", "y"])
    weights, settings = first.save(tmp_path / "model.npz")
    (tmp_path / "best.npz").write_bytes(open(weights, "rb").read())
    (tmp_path / "best.json").write_bytes(open(settings, "rb").read())
    if keep_the_original:
        second.save(tmp_path / "model.npz")            # the next run's model, in model.npz
    else:
        os.remove(weights)
        os.remove(settings)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for path in ("best.npz", "best.json", "best"):
            assert same_model(load_trained(tmp_path / path), first)


def test_settings_without_their_weights_file_say_so(tmp_path):
    weights, settings = make_trained().save(tmp_path / "m.npz")
    os.remove(weights)
    with pytest.raises(FileNotFoundError, match=r"load_trained: no weights file .*m\.npz' "
                                                r"beside its settings .*m\.json'"):
        load_trained(settings)


def test_a_hand_edited_settings_file_is_used(tmp_path):
    """Its digest still matches the weights: it wins over the settings inside them."""
    weights, settings = make_trained().save(tmp_path / "m.npz")
    data = json.loads(open(settings).read())
    data["classes"], data["target"] = ["ant", "bee", "cat"], "insect"
    open(settings, "w").write(json.dumps(data))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = load_trained(weights)
    assert (again.classes, again.target) == (["ant", "bee", "cat"], "insect")


@pytest.mark.parametrize("text", ["{ not json", "\xff\xfe", "[]"])
def test_a_damaged_settings_file_is_an_error_not_skipped(tmp_path, text):
    weights, settings = make_trained().save(tmp_path / "m.npz")
    open(settings, "w", encoding="latin-1").write(text)
    with pytest.raises(ValueError, match=r"load_trained: .*m\.json'"):
        load_trained(weights)


def test_a_folder_instead_of_the_settings_file_is_named(tmp_path):
    weights, settings = make_trained().save(tmp_path / "m.npz")
    (tmp_path / "m.json").unlink()
    (tmp_path / "m.json").mkdir()
    with pytest.raises(ValueError, match=r"load_trained: .*m\.json' cannot be read .*expected "
                                         r"the settings file"):
        load_trained(weights)


class Stop(BaseException):
    """A stop from outside (as Ctrl-C or the command's SIGTERM): no `except Exception` stops it."""


def stop(*args, **kwargs):
    raise Stop


@pytest.mark.parametrize("stop_in", ["save", "_sha256", "atomic_open"])
@pytest.mark.parametrize("before", ["new", "older with digest", "older without digest", "none"])
def test_a_save_stopped_anywhere_leaves_the_old_model_or_the_new_one(tmp_path, monkeypatch,
                                                                     stop_in, before):
    """save writes the weights (nn.save), hashes them, then writes the settings (atomic_open);
    a stop at any of the three leaves files that load as one of the two models."""
    old, new = make_trained(), make_trained(seed=1, classes=["x", "y"])
    if before == "new":
        old.save(tmp_path / "m.npz")
    elif before != "none":
        save_as_before(old, tmp_path / "m.npz", digest=before == "older with digest")
    monkeypatch.setattr(nn.trained, stop_in, stop)
    with pytest.raises(Stop):
        new.save(tmp_path / "m.npz")
    monkeypatch.undo()
    if stop_in == "save" and before == "none":
        assert sorted(p.name for p in tmp_path.iterdir()) == []
        return
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        loaded = load_trained(tmp_path / "m.npz")
    expected = old if stop_in == "save" else new      # the weights written: the new model
    assert same_model(loaded, expected)
    assert not any(p.name.endswith(".tmp") for p in tmp_path.iterdir())


@pytest.mark.parametrize("change, layers", [
    ({"hidden": [4]}, "2-4-3"),
    ({"classes": ["a", "b"]}, "2-5-2"),
    ({"task": "regress", "classes": []}, "2-5-1"),
    ({"hidden": [10 ** 12]}, "2-1000000000000-3"),       # was a MemoryError building the MLP
])
def test_settings_edited_to_layers_the_weights_do_not_have_are_named(tmp_path, change, layers):
    weights, settings = make_trained().save(tmp_path / "m.npz")
    data = json.loads(open(settings).read())
    data.update(change)
    open(settings, "w").write(json.dumps(data))
    with pytest.raises(ValueError, match=rf"load_trained: .*m\.json' describes layers {layers} "
                                         rf"\(features, hidden, outputs\), but the weights in "
                                         rf".*m\.npz' are 2-5-3"):
        load_trained(weights)


@pytest.mark.parametrize("name, value, message", [
    ("input_mean", [np.nan, 0.0], "feature 'u' has mean nan and std 10"),
    ("input_std", [10.0, 0.0], "feature 'v' has mean -3 and std 0"),
    ("0.bias", [np.inf] * 5, "'0.bias' holds NaN or infinity; the model cannot predict"),
])
def test_weights_that_would_predict_nan_are_refused(tmp_path, name, value, message):
    """Every output would be NaN or infinite: predict's arg-max would say the first class."""
    weights, _ = make_trained().save(tmp_path / "m.npz")
    state = load(weights)
    state[name] = np.array(value, np.float32)
    save(state, weights)
    (tmp_path / "m.json").unlink()
    with pytest.raises(ValueError, match=r"load_trained: .*m\.npz': .*" + re.escape(message)):
        load_trained(weights)


def test_a_trained_model_needs_a_usable_standardisation():
    with pytest.raises(ValueError, match=r"TrainedModel: input_mean must be finite and input_std "
                                         r"finite and above 0; feature 'v' has mean -3 and std 0"):
        TrainedModel(MLP(2, [5], 1), input_mean=[100.0, -3.0], input_std=[10.0, 0.0],
                     task="regress", target="t", features=["u", "v"])


def make_scaled_regression(target_mean=250_000.0, target_std=40_000.0):
    mlp = MLP(2, [5], 1, rng=np.random.default_rng(3))
    return TrainedModel(mlp, input_mean=[100.0, -3.0], input_std=[10.0, 0.5], task="regress",
                        target="price", features=["u", "v"], hidden=[5],
                        target_mean=target_mean, target_std=target_std)


def test_a_regression_scales_its_outputs_back_to_the_targets_units():
    model = make_scaled_regression()
    standardised = model.model((ROWS - model.input_mean) / model.input_std).numpy()
    np.testing.assert_allclose(model(ROWS).numpy(), standardised * 40_000.0 + 250_000.0,
                               rtol=1e-6)
    np.testing.assert_allclose(model.predict(ROWS), (standardised * 40_000.0 + 250_000.0)[:, 0],
                               rtol=1e-6)
    assert model(ROWS).numpy().dtype == np.float32      # the scale does not widen the dtype


def test_the_target_scale_is_saved_with_the_weights_and_comes_back(tmp_path):
    model = make_scaled_regression()
    model.save(tmp_path / "m.npz")
    again = load_trained(tmp_path / "m.npz")
    assert (float(again.target_mean), float(again.target_std)) == (250_000.0, 40_000.0)
    np.testing.assert_array_equal(again(ROWS).numpy(), model(ROWS).numpy())
    (tmp_path / "m.json").unlink()                      # the weights file alone is the model
    np.testing.assert_array_equal(load_trained(tmp_path / "m.npz")(ROWS).numpy(),
                                  model(ROWS).numpy())


def test_a_regression_saved_before_target_scaling_loads_unscaled(tmp_path):
    model = make_trained("regress")
    save_as_before(model, tmp_path / "m.npz")
    again = load_trained(tmp_path / "m.npz")
    assert (float(again.target_mean), float(again.target_std)) == (0.0, 1.0)
    np.testing.assert_array_equal(again(ROWS).numpy(), model(ROWS).numpy())


def test_a_classifier_saves_no_target_scale(tmp_path):
    make_trained().save(tmp_path / "m.npz")
    assert "target_mean" not in load(tmp_path / "m.npz", weights_only=True)


@pytest.mark.parametrize("mean, std", [(float("nan"), 1.0), (0.0, 0.0), (0.0, -2.0),
                                       (0.0, float("inf"))])
def test_a_trained_model_needs_a_usable_target_scale(mean, std):
    with pytest.raises(ValueError, match=r"TrainedModel: target_mean must be finite and "
                                         r"target_std finite and above 0"):
        make_scaled_regression(mean, std)


def weights_only(tmp_path, change):
    """The weights file of a saved model, with `change(state)` applied, alone (no settings)."""
    weights, _ = make_trained().save(tmp_path / "m.npz")
    state = load(weights)
    change(state)
    save(state, weights)
    (tmp_path / "m.json").unlink()
    return weights


def drop_weight_matrices(state):
    for name in [name for name in state if name.endswith("weight")]:
        del state[name]


@pytest.mark.parametrize("change", [
    drop_weight_matrices,
    lambda state: state.update({"0.weight": state["0.weight"].ravel()}),
])
def test_sizes_no_weights_back_are_refused_before_the_mlp_is_built(tmp_path, monkeypatch, change):
    """The settings' "hidden" was trusted when the file had no 2-d weights to check it against:
    a tiny file saying hidden=[10**9] filled the memory building the MLP."""
    weights = weights_only(tmp_path, lambda state: (change(state), state["settings"].update(
        hidden=[10 ** 9])))
    monkeypatch.setattr(nn.trained, "MLP", stop)
    with pytest.raises(ValueError, match=r"load_trained: .*m\.npz' holds no MLP weights \(a 2-d "
                                         r"'<layer>\.weight' array per layer\)"):
        load_trained(weights)


@pytest.mark.parametrize("name, value, message", [
    ("input_mean", {"u": 1.0}, "'input_mean' holds a dict, expected an array of numbers"),
    ("0.bias", "abcde", "'0.bias' holds a str, expected an array of numbers"),
    ("target_mean", np.ones(3), "'target_mean' has shape (3,), expected one number"),
])
def test_entries_that_are_not_numbers_are_named(tmp_path, name, value, message):
    """They were raw TypeErrors from numpy (`glassgrad predict`: "unexpected TypeError")."""
    weights = weights_only(tmp_path, lambda state: state.update({name: value}))
    with pytest.raises(ValueError, match=r"load_trained: .*m\.npz': " + re.escape(message)):
        load_trained(weights)


def test_weights_that_do_not_fit_the_mlp_name_the_file(tmp_path):
    weights = weights_only(tmp_path, lambda state: state.update({"0.extra": np.ones(2)}))
    with pytest.raises(ValueError, match=r"load_trained: .*m\.npz': load_state_dict: MLP state "
                                         r"does not match: unexpected \['0\.extra'\]"):
        load_trained(weights)


def rewrite_settings(settings, edit):
    text = open(settings, encoding="utf-8").read()
    open(settings, "wb").write(edit(text).encode("utf-8"))


@pytest.mark.parametrize("edit, message", [
    (lambda text: text.replace('"task"', '"classes": ["x", "y", "z"], "task"', 1),
     "the key 'classes' appears more than once; keep one"),
    (lambda text: text.replace("[\n    5\n  ]", "[" + "9" * 5000 + "]"), "Exceeds the limit"),
    (lambda text: "[" * 100_000 + "]" * 100_000, "it is nested too deeply"),
])
def test_a_settings_file_json_reads_wrongly_is_refused_by_name(tmp_path, edit, message):
    """json keeps the last of two equal keys silently; its huge numbers and deep nesting raised
    errors without the file's name (a RecursionError even)."""
    weights, settings = make_trained().save(tmp_path / "m.npz")
    rewrite_settings(settings, edit)
    with pytest.raises(ValueError, match=r"load_trained: .*m\.json' is not a settings file: .*"
                                         + re.escape(message)):
        load_trained(weights)


def test_a_settings_file_with_a_byte_order_mark_loads(tmp_path):
    """Some editors put one in front of UTF-8 text; json refused it."""
    weights, settings = make_trained().save(tmp_path / "m.npz")
    rewrite_settings(settings, lambda text: "\ufeff" + text.replace('"t"', '"target"'))
    assert load_trained(weights).target == "target"


def test_a_training_checkpoint_is_not_taken_for_a_trained_model(tmp_path):
    """Its entries are dicts: the missing standardisation is what to say, not their kind."""
    path = tmp_path / "run.npz"
    save({"model": MLP(2, [3], 2), "epoch": 4}, path)
    with pytest.raises(ValueError, match=r"run\.npz' has no input_mean/input_std \(it is not a "
                                         r"model saved by glassgrad train\)"):
        load_trained(path)


def test_the_repr_of_a_model_of_many_columns_stays_short():
    # a CSV of 784 pixel columns (MNIST as a table) put every name on one 9,000-character line
    pixels = [f"pixel{i}" for i in range(784)]
    trained = TrainedModel(MLP(784, [4], 2), input_mean=np.zeros(784), input_std=np.ones(784),
                           task="classify", target="label", features=pixels, classes=["0", "1"],
                           hidden=[4])
    head = repr(trained).splitlines()[1]
    assert head == ("  task='classify', target='label', features=['pixel0', 'pixel1', "
                    "'pixel2', ..., 'pixel783'] (784 columns)")
    assert "features=['u', 'v']" in repr(make_trained())        # a few are all shown


def test_classes_named_by_numbers_are_predicted_as_numbers(tmp_path):
    """A CSV's label column of 0s and 1s: predict gives numbers, which compare with numeric y
    (strings would make (predict(X) == y).mean() a silent 0.0); words stay words."""
    model = make_trained(classes=("0", "1", "7"))
    predicted = model.predict(ROWS)
    assert predicted.dtype.kind == "i" and set(predicted.tolist()) <= {0, 1, 7}
    model.save(tmp_path / "m")
    assert load_trained(tmp_path / "m").predict(ROWS).tolist() == predicted.tolist()
    assert make_trained(classes=("1.0", "2.0")).predict(ROWS).dtype.kind == "f"
    assert make_trained(classes=("01", "2")).predict(ROWS).dtype.kind == "U"  # (as written)
