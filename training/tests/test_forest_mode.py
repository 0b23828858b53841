"""LightGBM's random-forest mode exports to ONNX as a plain sum of rescaled trees, scoring exactly as LightGBM does."""

from __future__ import annotations

import numpy as np

from fraudtrain import model as mdl


def test_forest_mode_model_scores_like_lightgbm_and_its_onnx_export_agrees() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4000, 5)).astype(np.float32)
    y = (x[:, 0] + rng.normal(size=len(x)) > 1.5).astype(int)
    names = tuple(f"f{i}" for i in range(5))
    settings = {"boosting": "rf", "bagging_fraction": 0.632, "feature_fraction": 0.5, "num_leaves": 31,
                "min_data_in_leaf": 5}
    trained = mdl.fit(x, y, names, 42, settings, 40)
    assert trained.best_iteration == 40
    assert "average_output" not in trained.booster.model_to_string().split("\n")
    native = mdl.native_positive_scores(trained.booster, x)
    # An average of 40 trees' probabilities-to-be, not a sum: scores stay inside (0, 1) and rank the positives high.
    assert 0 < native.min() and native.max() < 1
    assert native[y == 1].mean() > native[y == 0].mean()
    scorer = mdl.OnnxScorer(mdl.export_onnx(trained.booster, "test+000000000000", names))
    assert mdl.check_agreement(trained.booster, scorer, x, "train") <= mdl.MAX_ABS_DIFF
    # The same settings and seed give the same bytes.
    again = mdl.fit(x, y, names, 42, settings, 40)
    assert mdl.export_onnx(again.booster, "test+000000000000", names) == mdl.export_onnx(
        trained.booster, "test+000000000000", names
    )


def test_averaged_as_sum_scales_every_leaf_and_drops_the_averaging_flag() -> None:
    text = "tree\nleaf_value=0.5 -1\naverage_output\nend"
    assert mdl.averaged_as_sum(text, 4) == "tree\nleaf_value=0.125 -0.25\nend"
