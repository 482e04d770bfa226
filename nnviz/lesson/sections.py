"""The lesson's sections and the app's pages: one table, read by the navigation, the Overview and every header.

``SECTIONS`` lists the lesson's headings in its own order and numbering (1.1 … 1.6), each with the
pages where it is taught (the first is its main page). ``PAGES`` lists the app's pages in navigation
order — one row per page, so adding a page is adding one line. A page's lesson sections are derived
from ``SECTIONS``, never written a second time.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    file: str  # in app_pages/
    title: str
    icon: str  # a Material icon name as st.Page takes it

    @property
    def slug(self) -> str:
        """The page's URL path and its key in ``SECTIONS``: ``backpropagation.py`` → ``backpropagation``."""
        return self.file.removesuffix(".py")


#: The app's pages, in navigation order (the first is the home page).
PAGES: list[Page] = [
    Page("overview.py", "Overview", ":material/map:"),
    Page("data_as_numbers.py", "Data as numbers", ":material/grid_on:"),
    Page("neuron.py", "The neuron", ":material/radio_button_checked:"),
    Page("activations.py", "Activation functions", ":material/show_chart:"),
    Page("shallow_network.py", "Shallow network", ":material/hub:"),
    Page("class_board.py", "Class board", ":material/groups:"),
    Page("backpropagation.py", "Backpropagation", ":material/undo:"),
    Page("mnist_classifier.py", "MNIST classifier", ":material/draw:"),
]


@dataclass(frozen=True)
class Section:
    number: str  # as the lesson numbers it: "1.3.8"
    title: str  # the lesson's heading, as it reads
    pages: tuple[str, ...]  # page slugs; the first is where the section is mainly taught
    what: str  # what the app shows of it, in a few words


#: The lesson's headings, in its order (lesson 1-1 "Introduction to Deep Learning").
SECTIONS: list[Section] = [
    Section("1.1", "What is a Neural Network", ("overview",),
            "layers of nodes, weights and thresholds; the figure of an ANN's layers"),
    Section("1.1.1", "Transformations", ("data_as_numbers",),
            "an MNIST digit as a 28×28 grid, the data.head() table, the digit saved with np.savetxt"),
    Section("1.2", "Mc Culloch and Pitts Artificial Neuron", ("neuron",),
            "inputs, weights, sum, threshold, output; AND, OR, NOT and why XOR needs a hidden layer"),
    Section("1.3", "Feedforward Neural Networks", ("shallow_network",),
            "a network with one hidden layer, trained live"),
    Section("1.3.1", "One Hidden Layer NN", ("backpropagation", "activations"),
            "the 2-4-1 network node by node, equation (1); tanh and sigmoid with (2) and (3)"),
    Section("1.3.2", "The Loss Function", ("backpropagation",), "cross-entropy, equation (4)"),
    Section("1.3.3", "Formula of Batch Training", ("backpropagation", "shallow_network"),
            "the batch in columns, equations (5) and (6), the cost J"),
    Section("1.3.4", "Generate Sample Dataset", ("shallow_network",), "the lesson's 5000 × 20 dataset"),
    Section("1.3.5", "Weights Initialization", ("shallow_network",), "weights of 0.01 × N(0, 1), zero biases"),
    Section("1.3.6", "Forward Propagation", ("backpropagation", "shallow_network"), "Z1, A1, Z2, A2 and their shapes"),
    Section("1.3.7", "Loss Function", ("backpropagation", "shallow_network"), "the loss of a batch"),
    Section("1.3.8", "Delta Rule", ("backpropagation",),
            "the chain rule step by step, equations (7)–(27), and the shapes of every gradient"),
    Section("1.3.9", "Batch Loader", ("shallow_network",), "mini-batches, the training loop and the lesson's run"),
    Section("1.4", "Keras: the Python Deep Learning API", ("mnist_classifier",),
            "the Dense(512) → Dense(10) network on MNIST, its summary, its training history"),
    Section("1.5", "Appendix - Calculation of Activation Functions Derivatives", ("activations",),
            "the derivations of (2) and (3), step by step"),
    Section("1.6", "References and Credits", ("overview",), "the books and posts the lesson builds on"),
]


def page(slug_or_title: str) -> Page:
    """The page with this slug (``"backpropagation"``) or title (``"Backpropagation"``)."""
    for p in PAGES:
        if slug_or_title in (p.slug, p.title):
            return p
    raise ValueError(f"no page {slug_or_title!r}; pages are {', '.join(p.slug for p in PAGES)}")


def sections_of(slug_or_title: str) -> list[Section]:
    """The lesson sections taught on a page, in the lesson's order (empty for a page outside the lesson)."""
    slug = page(slug_or_title).slug
    return [s for s in SECTIONS if slug in s.pages]


def section_label(slug_or_title: str, *, compact: bool = False) -> str:
    """A page's sections as a header shows them: ``"1.3.1, 1.3.2, 1.3.3, 1.3.6, 1.3.7, 1.3.8"``, every number
    written out so that a reader looking for 1.3.7 finds it; ``compact`` joins runs of three or more sections
    that follow each other in the lesson into a range, ``"1.3.1–1.3.3, 1.3.6–1.3.8"`` (for a title line).
    ``""`` for a page outside the lesson."""
    mine = sections_of(slug_or_title)
    if not compact:
        return ", ".join(s.number for s in mine)
    order = {s.number: i for i, s in enumerate(SECTIONS)}
    runs: list[list[Section]] = []
    for s in mine:
        if runs and order[s.number] == order[runs[-1][-1].number] + 1:
            runs[-1].append(s)
        else:
            runs.append([s])
    parts = []
    for run in runs:
        parts += [f"{run[0].number}–{run[-1].number}"] if len(run) >= 3 else [s.number for s in run]
    return ", ".join(parts)


def section(number: str) -> Section:
    """The section with this number, e.g. ``section("1.3.8").title == "Delta Rule"``."""
    for s in SECTIONS:
        if s.number == number:
            return s
    raise ValueError(f"the lesson has no section {number!r}")
