"""docs/gallery (`make gallery`, docs/make_gallery.py): the README's pictures as committed are
big enough to read and the films rest on their last frame. Their frames' epochs are tested
where they are chosen (test_pictures: log spacing), their content in test_plots_animation."""

from pathlib import Path

import pytest
from PIL import Image

GALLERY = Path(__file__).parent.parent / "docs" / "gallery"
SEEDS = ["seed000-noisy-linear", "seed001-moons", "seed002-hinge", "seed003-circles", "seed004-bump"]


@pytest.mark.parametrize("seed", SEEDS)
def test_gallery_picture_and_film_are_readable_sizes(seed):
    """432 x 336 pictures and 580 x 207 films (60 and 45 dpi) had 6-px titles."""
    [picture] = [p for p in GALLERY.glob(f"{seed}-*.png")]
    with Image.open(picture) as image:
        assert image.width >= 750
    with Image.open(GALLERY / f"{seed}-animation.gif") as film:
        panels = 2 if seed == "seed002-hinge" else 3  # a linear model has no hidden layer
        assert film.width >= 300 * panels and film.height >= 320
        durations = []
        for k in range(film.n_frames):
            film.seek(k)
            durations.append(film.info["duration"])
    assert len(set(durations[:-1])) == 1 and durations[-1] >= 2000 > durations[0]  # a pause on the last


LESSONS = ["circles-raw-boundary", "circles-features-boundary", "l1-sparsity-network", "l1-sparsity-norms",
           "dropout-loss", "dropout-off-loss", "lbfgs-loss", "seed002-moved"]


@pytest.mark.parametrize("lesson", LESSONS)
def test_the_lessons_pictures_are_there_at_a_readable_size(lesson):
    """The teaching lab's pictures (docs/make_gallery.py LESSONS), each one the README shows."""
    with Image.open(GALLERY / f"lesson-{lesson}.png") as image:
        assert image.width >= 700 and image.height >= 380
    assert f"(docs/gallery/lesson-{lesson}.png)" in (GALLERY.parent.parent / "README.md").read_text()
