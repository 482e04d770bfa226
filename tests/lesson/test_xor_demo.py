"""The front page's XOR network says what its accuracy means: luck before training, a coin flip's loss early on,
and overfitting when a long run scores lower on the test set than a shorter one."""

from nnviz.lesson.xor_demo import EPOCH_CHOICES, xor_run


def test_before_training_the_accuracy_is_called_luck_not_learning():
    run = xor_run(0)
    assert "Before any training" in run.story and "luck" in run.story and "after 0 epochs" not in run.story
    assert f"{run.test_acc * 100:.1f} %" in run.story


def test_a_long_run_that_scores_lower_says_why():
    runs = {e: xor_run(e) for e in EPOCH_CHOICES}
    assert runs[500].test_acc < max(r.test_acc for r in runs.values())  # what needs a word
    assert "overfitting" in runs[500].story and "test loss was lowest at epoch" in runs[500].story
    assert runs[500].train_acc > runs[100].train_acc  # the training accuracy still climbs, as it says
    assert "coin flip" in runs[1].story and "overfitting" not in runs[100].story
    assert "after 1 epoch:" in runs[1].story
