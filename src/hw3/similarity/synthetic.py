"""Synthetic classes with a known truth, for the tests and the benchmark (never run: nothing
here is executed, so the code need only be plausible).

This module is long because it holds the class's raw material: several independent ways to
write each function (short functions converge, as they do in real classes: the popular ways are
picked by many), theory answers with common and rare slips, and explanation sentences students
combine in their own words.

- **honest** students pick a way for each function (popularity falls with rank), their own
  names, comments and small habits, their own answers and explanations;
- **copiers** take an honest student's notebook and hide it: renaming, reformatting, moved and
  merged cells, reordered functions, new comments, small rewrites, lightly paraphrased
  explanations;
- a **group** copies one outside source (a solution found online: ways no honest student
  uses), each member hiding it differently;
- **partial** copiers take three to five functions from someone and write the rest.

``truth(a, b)`` says whether a pair copied (shares the origin of at least three functions), did
not, or is in between (one or two: left out of precision and recall).
"""

# ruff: noqa: E501 - the ways to write each function are code, one statement a line
from __future__ import annotations

import copy
import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

FUNCTIONS = ["sigmoid", "relu", "init_weights", "feedforward", "predict", "forward_propagation",
             "build_model", "train"]
SIGNATURES = {
    "sigmoid": "def sigmoid(z):",
    "relu": "def relu(z):",
    "init_weights": "def init_weights(n_inputs, n_hidden, n_output):",
    "feedforward": "def feedforward(x, W0, W1, W2, a):",
    "predict": "def predict(x, W0, W1, W2):",
    "forward_propagation": "def forward_propagation(W, A, f, b=None):",
    "build_model": "def build_model(D_i, D_k, D_o):",
    "train": "def train(model, data_loader, n_epochs=100, lr=0.1, momentum=0.9, step_size=10, "
             "gamma=0.5):",
}
# Bodies: {o} {t} {u} {v} {w} are the student's own names; [[...]] an optional line.
WAYS: dict[str, list[str]] = {
    "sigmoid": [
        "{o} = np.asarray(z, dtype=float)\nreturn np.where({o} >= 0, 1 / (1 + np.exp(-np.abs({o}))), np.exp(-np.abs({o})) / (1 + np.exp(-np.abs({o}))))",
        "z = np.asarray(z, dtype=float)\n{o} = np.empty_like(z)\n{t} = z >= 0\n{o}[{t}] = 1 / (1 + np.exp(-z[{t}]))\n{u} = np.exp(z[~{t}])\n{o}[~{t}] = {u} / (1 + {u})\nreturn {o}",
        "from scipy.special import expit\nreturn expit(z)",
        "z = np.clip(z, -500, 500)\nreturn 1.0 / (1.0 + np.exp(-z))",
        "{o} = np.exp(-np.logaddexp(0, -np.asarray(z, dtype=float)))\nreturn {o}",
        "z = np.asarray(z, dtype=float)\n{o} = np.zeros_like(z)\nfor {t} in np.ndindex(z.shape):\n    if z[{t}] >= 0:\n        {o}[{t}] = 1 / (1 + np.exp(-z[{t}]))\n    else:\n        {u} = np.exp(z[{t}])\n        {o}[{t}] = {u} / (1 + {u})\nreturn {o}",
    ],
    "relu": [
        "return np.maximum(0, np.asarray(z))",
        "{o} = np.array(z, dtype=float)\n{o}[{o} < 0] = 0\nreturn {o}",
        "z = np.asarray(z)\nreturn np.where(z > 0, z, 0)",
        "return np.clip(np.asarray(z), 0, None)",
        "z = np.asarray(z)\nreturn z * (z > 0)",
    ],
    "init_weights": [
        "{o} = np.random.randn(n_inputs, n_hidden)\n{t} = np.random.randn(n_hidden, n_hidden)\n{u} = np.random.randn(n_hidden, n_output)\nreturn {o}, {t}, {u}",
        "{v} = np.random.default_rng()\nreturn ({v}.standard_normal((n_inputs, n_hidden)), {v}.standard_normal((n_hidden, n_hidden)), {v}.standard_normal((n_hidden, n_output)))",
        "{w} = [(n_inputs, n_hidden), (n_hidden, n_hidden), (n_hidden, n_output)]\nreturn tuple(np.random.normal(0, 1, size={t}) for {t} in {w})",
        "{o} = np.random.normal(size=(n_inputs, n_hidden))\n{t} = np.random.normal(size=(n_hidden, n_hidden))\n{u} = np.random.normal(size=(n_hidden, n_output))\nreturn ({o}, {t}, {u})",
    ],
    "feedforward": [
        "z0 = x @ W0\na0 = a(z0)\nz1 = a0 @ W1\na1 = a(z1)\nz2 = a1 @ W2\na2 = a(z2)\nreturn [[z0, z1, z2], [a0, a1, a2]]",
        "{w} = []\n{v} = []\n{o} = x\nfor {t} in (W0, W1, W2):\n    {u} = {o} @ {t}\n    {o} = a({u})\n    {w}.append({u})\n    {v}.append({o})\nreturn [{w}, {v}]",
        "z0 = np.dot(x, W0)\na0 = a(z0)\nz1 = np.dot(a0, W1)\na1 = a(z1)\nz2 = np.dot(a1, W2)\na2 = a(z2)\nreturn [z0, z1, z2], [a0, a1, a2]",
        "{w} = [x @ W0]\n{v} = [a({w}[0])]\nfor {t} in [W1, W2]:\n    {w}.append({v}[-1] @ {t})\n    {v}.append(a({w}[-1]))\nreturn [{w}, {v}]",
    ],
    "predict": [
        "return feedforward(x, W0, W1, W2, sigmoid)[1][2]",
        "{w}, {v} = feedforward(x, W0, W1, W2, sigmoid)\nreturn {v}[-1]",
        "_, {v} = feedforward(x, W0, W1, W2, sigmoid)\n{o} = {v}[2]\nreturn {o}",
        "{o} = feedforward(x, W0, W1, W2, a=sigmoid)\nreturn {o}[1][-1]",
    ],
    "forward_propagation": [
        "W, A = np.asarray(W), np.asarray(A)\nb = np.zeros(W.shape[0]) if b is None else np.asarray(b)\n{o} = np.hstack([W, b.reshape(-1, 1)])\n{t} = np.vstack([A, np.ones((1, A.shape[1]))])\nreturn f({o} @ {t})",
        "if b is None:\n    b = np.zeros(W.shape[0])\n{o} = np.column_stack([W, np.ravel(b)])\n{t} = np.row_stack([A, np.ones(A.shape[1])])\nreturn f(np.dot({o}, {t}))",
        "{u} = np.zeros((W.shape[0], 1)) if b is None else np.reshape(b, (-1, 1))\n{o} = np.concatenate([W, {u}], axis=1)\n{t} = np.concatenate([A, np.ones((1, A.shape[1]))], axis=0)\nreturn f({o} @ {t})",
        "{o} = np.append(W, np.zeros((len(W), 1)) if b is None else np.array(b).reshape(len(W), 1), axis=1)\n{t} = np.append(A, [np.ones(A.shape[1])], axis=0)\n{u} = {o}.dot({t})\nreturn f({u})",
    ],
    "build_model": [
        "{o} = nn.Sequential(nn.Linear(D_i, D_k), nn.ReLU(), nn.Linear(D_k, D_k), nn.ReLU(), nn.Linear(D_k, D_o))\nfor {t} in {o}:\n    if isinstance({t}, nn.Linear):\n        nn.init.kaiming_normal_({t}.weight)\n        nn.init.zeros_({t}.bias)\nreturn {o}",
        "{o} = nn.Sequential(nn.Linear(D_i, D_k), nn.ReLU(), nn.Linear(D_k, D_k), nn.ReLU(), nn.Linear(D_k, D_o))\n\ndef {v}({t}):\n    if isinstance({t}, nn.Linear):\n        nn.init.kaiming_uniform_({t}.weight, nonlinearity='relu')\n        {t}.bias.data.fill_(0.0)\n\n{o}.apply({v})\nreturn {o}",
        "{w} = [nn.Linear(D_i, D_k), nn.ReLU(), nn.Linear(D_k, D_k), nn.ReLU(), nn.Linear(D_k, D_o)]\nfor {t} in {w}[::2]:\n    torch.nn.init.kaiming_normal_({t}.weight, mode='fan_in')\n    torch.nn.init.constant_({t}.bias, 0)\nreturn nn.Sequential(*{w})",
        "{o} = nn.Sequential(nn.Linear(D_i, D_k), nn.ReLU(), nn.Linear(D_k, D_k), nn.ReLU(), nn.Linear(D_k, D_o))\nwith torch.no_grad():\n    for {t} in (0, 2, 4):\n        {o}[{t}].weight.normal_(0, (2 / {o}[{t}].in_features) ** 0.5)\n        {o}[{t}].bias.zero_()\nreturn {o}",
    ],
    "train": [
        "{o} = nn.MSELoss()\n{t} = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)\n{u} = torch.optim.lr_scheduler.StepLR({t}, step_size=step_size, gamma=gamma)\n{w} = []\nfor _ in range(n_epochs):\n    {v} = 0.0\n    for x_batch, y_batch in data_loader:\n        {t}.zero_grad()\n        loss = {o}(model(x_batch), y_batch)\n        loss.backward()\n        {t}.step()\n        {v} += loss.item()\n    {u}.step()\n    {w}.append({v})\nreturn {w}",
        "{t} = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)\n{u} = torch.optim.lr_scheduler.StepLR({t}, step_size, gamma)\n{o} = nn.MSELoss()\n{w} = []\nfor epoch in range(n_epochs):\n    {v} = []\n    for xb, yb in data_loader:\n        pred = model(xb)\n        loss = {o}(pred, yb)\n        {t}.zero_grad()\n        loss.backward()\n        {t}.step()\n        {v}.append(loss.item())\n    {w}.append(float(sum({v})))\n    {u}.step()\nreturn {w}",
        "{o} = torch.nn.MSELoss()\n{t} = torch.optim.SGD(params=model.parameters(), lr=lr, momentum=momentum)\n{u} = torch.optim.lr_scheduler.StepLR(optimizer={t}, step_size=step_size, gamma=gamma)\n{w} = [0.0] * n_epochs\nfor epoch in range(n_epochs):\n    for i, (inputs, targets) in enumerate(data_loader):\n        {t}.zero_grad()\n        outputs = model(inputs)\n        loss = {o}(outputs, targets)\n        loss.backward()\n        {t}.step()\n        {w}[epoch] += loss.item()\n    {u}.step()\nreturn {w}",
    ],
}
# An outside source (a solution posted online): ways no honest student here writes.
OUTSIDE: dict[str, str] = {
    "sigmoid": "{o} = np.asarray(z, dtype=np.float64)\n{t} = np.exp(-np.abs({o}))\n{u} = np.where({o} >= 0, 1.0, {t})\nreturn {u} / (1.0 + {t})",
    "relu": "{o} = np.copy(np.asarray(z, dtype=float))\nnp.putmask({o}, {o} < 0, 0.0)\nreturn {o}",
    "init_weights": "{w} = (n_inputs, n_hidden, n_hidden, n_output)\n{v} = [np.random.standard_normal(({w}[{t}], {w}[{t} + 1])) for {t} in range(3)]\nreturn {v}[0], {v}[1], {v}[2]",
    "feedforward": "{w}, {v}, {o} = [], [], x\nfor {t} in range(3):\n    {u} = np.matmul({o}, (W0, W1, W2)[{t}])\n    {o} = a({u})\n    {w} += [{u}]\n    {v} += [{o}]\nreturn [{w}, {v}]",
    "predict": "{o} = feedforward(x, W0, W1, W2, lambda {t}: sigmoid({t}))\nreturn np.asarray({o}[1][2])",
    "forward_propagation": "{u} = np.zeros(np.shape(W)[0]) if b is None else np.asarray(b, dtype=float).ravel()\n{o} = np.c_[np.asarray(W, dtype=float), {u}]\n{t} = np.r_[np.asarray(A, dtype=float), np.ones((1, np.shape(A)[1]))]\nreturn f(np.einsum('ij,jk->ik', {o}, {t}))",
    "build_model": "{w} = [D_i, D_k, D_k, D_o]\n{v} = []\nfor {t} in range(3):\n    {o} = nn.Linear({w}[{t}], {w}[{t} + 1])\n    nn.init.kaiming_normal_({o}.weight, nonlinearity='relu')\n    nn.init.zeros_({o}.bias)\n    {v} += [{o}, nn.ReLU()] if {t} < 2 else [{o}]\nreturn nn.Sequential(*{v})",
    "train": "{o}, {w} = nn.MSELoss(reduction='mean'), []\n{t} = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)\n{u} = torch.optim.lr_scheduler.StepLR({t}, step_size=step_size, gamma=gamma)\nmodel.train()\nfor _ in range(n_epochs):\n    {w}.append(0.0)\n    for {v} in data_loader:\n        {t}.zero_grad(set_to_none=True)\n        ({o}(model({v}[0]), {v}[1])).backward()\n        {t}.step()\n        with torch.no_grad():\n            {w}[-1] += float({o}(model({v}[0]), {v}[1]))\n    {u}.step()\nreturn {w}",
}
NAMES = {  # a student's favourite names for the roles {o} {t} {u} {v} {w}
    "o": ["out", "result", "res", "y", "output", "s", "model_", "crit", "h"],
    "t": ["mask", "pos", "m", "idx", "i", "k", "layer", "opt", "optimizer", "j"],
    "u": ["e", "ez", "tmp", "sched", "scheduler", "bias_col", "q", "val"],
    "v": ["acts", "activations", "total", "epoch_loss", "running", "gen", "rng", "batch", "g"],
    "w": ["pre", "zs", "history", "losses", "shapes", "sizes", "loss_list", "ws", "layers"],
}
COMMENTS = ["# compute the output", "# numerically stable", "# TODO check shapes",
            "# bias trick: augment", "# standard normal weights", "# loop over the layers",
            "# forward pass", "# He init", "# zero the gradients first", "# sum of batch losses",
            "# as in the lecture", "# UDL eq. 3.1 style", "# avoid overflow here"]

THEORY_RIGHT = {
    "q3_1_y_linear": "phi0 + phi1*(psi0 + psi1*(theta10 + theta11*x)) + phi2*(psi0 + psi1*(theta20 + theta21*x)) + phi3*(psi0 + psi1*(theta30 + theta31*x))",
    "q3_1_y_identity": "phi0 + phi1*(theta10 + theta11*x) + phi2*(theta20 + theta21*x) + phi3*(theta30 + theta31*x)",
    "q3_1_mapping": '"affine"', "q3_10_max_regions": "4", "q3_10_min_regions": "1",
    "q4_4_weight_shapes": "[(20, 5), (10, 20), (7, 10), (4, 7)]",
    "q4_4_bias_sizes": "[20, 10, 7, 4]", "q4_4_n_params": "439", "q4_5_depth": "20",
    "q4_5_width": "30", "q4_6_n_weights": "D_i*D + (K - 1)*D**2 + D*D_o",
    "q4_6_extra_weights_depth": "100", "q4_6_extra_weights_width": "191",
    "q4_6_answer": '"width"',
}
THEORY_SLIPS = {  # common slips, shared by many honest students
    "q3_1_y_linear": ["phi0 + phi1*psi1*(theta10 + theta11*x) + phi2*psi1*(theta20 + theta21*x) + phi3*psi1*(theta30 + theta31*x)"],
    "q3_1_mapping": ['"linear"', '"piecewise linear"'], "q3_10_max_regions": ["3", "8"],
    "q3_10_min_regions": ["0"], "q4_4_weight_shapes": ["[(5, 20), (20, 10), (10, 7), (7, 4)]"],
    "q4_4_n_params": ["398", "41"], "q4_5_depth": ["21", "22"], "q4_5_width": ["20"],
    "q4_6_n_weights": ["D_i*D + K*D**2 + D*D_o"], "q4_6_extra_weights_depth": ["110"],
    "q4_6_extra_weights_width": ["210", "21"], "q4_6_answer": ['"depth"'],
}
INTS = ["q3_10_max_regions", "q4_4_n_params", "q4_5_depth", "q4_5_width",
        "q4_6_extra_weights_depth", "q4_6_extra_weights_width"]
EXPLAIN = {  # question -> ideas, each in a few wordings
    "q3_1": [["A sum of affine functions of x is again affine, whatever the parameters.",
              "Adding affine functions together always gives an affine function.",
              "Each hidden unit is affine in x and the output adds them up, so it stays affine."],
             ["Composing affine maps gives an affine map, so the layers collapse into one.",
              "Stacking linear layers without a nonlinearity collapses to a single linear layer.",
              "The composition of two affine functions is affine, hence the whole network is."],
             ["Without a nonlinear activation the network cannot bend the function or make joints.",
              "There are no kinks: the output is a straight line in x.",
              "No matter how many units we add, we only ever get a line."],
             ["So a nonlinearity is needed to represent anything more complex than a line.",
              "That is why we need activations like ReLU to model complicated relationships.",
              "Hence nonlinear activations are essential for expressive power."],
             ["The slope is phi1 psi1 theta11 plus the similar terms for the other units.",
              "You can read off the intercept and slope by collecting the terms in x."]],
    "q3_5": [["For z > 0 and alpha > 0, alpha z > 0, so both sides equal alpha z.",
              "If z is positive then alpha times z is positive too and ReLU leaves both unchanged.",
              "Case z > 0: ReLU of alpha z is alpha z, and alpha ReLU of z is also alpha z."],
             ["For z <= 0, alpha z <= 0, so both sides are zero.",
              "If z is negative or zero both sides vanish because alpha z is not positive.",
              "Case z < 0: both the left side and the right side are 0."],
             ["With a negative alpha the sign of alpha z flips, so the identity breaks.",
              "For alpha = -1 and z = 1 the left side is 0 but the right side is -1.",
              "A negative scale moves a positive input to the zero part of ReLU."],
             ["So ReLU is positively homogeneous of degree one.",
              "This is the non-negative homogeneity property from the book.",
              "Therefore scaling the input by a positive number scales the output the same way."]],
    "q3_10": [["Each hidden unit adds at most one joint where its preactivation crosses zero.",
               "Every ReLU unit can create one kink, at the point where theta0 + theta1 x = 0.",
               "A unit switches on or off at a single input, which gives one joint."],
              ["With three units there are at most three joints and so four regions.",
               "Three joints split the real line into at most four intervals.",
               "Three kinks give at most four linear pieces."],
              ["Fewer regions happen when joints coincide or fall at the same x.",
               "If two units have their joints at the same place the regions merge.",
               "Joints can coincide, which reduces the count."],
              ["A unit with zero slope theta1 or zero output weight phi adds no joint at all.",
               "If phi is zero the unit contributes nothing and creates no region.",
               "When a slope change cancels out the regions merge and we get fewer."],
              ["In the extreme case all joints vanish and there is one region, a line.",
               "The minimum is a single region when the network is linear everywhere."]],
    "q4_6": [["Adding a layer adds a D by D weight matrix between two hidden layers.",
              "A new hidden layer brings another D squared weights.",
              "Depth adds one more square matrix of size D times D."],
             ["Adding a unit to each layer grows every matrix by a row and a column.",
              "Widening changes every weight matrix, including the input and output ones.",
              "Each hidden layer gets one more unit so all the matrices get bigger."],
             ["The width increase touches K minus one hidden to hidden matrices plus the ends.",
              "That is why widening adds about 2 K D extra weights.",
              "The extra weights from width scale with the number of layers."],
             ["Here widening adds more weights than deepening.",
              "So width gives more parameters in this case than depth.",
              "For these sizes the wider network has more new weights."]],
    "train": [["A larger learning rate makes the loss fall faster but can make it oscillate.",
               "With lr = 0.01 the loss decreases much more slowly.",
               "The learning rate sets the step size, so a small one learns slowly."],
              ["Momentum smooths the updates and speeds up training.",
               "Without momentum the curve drops more slowly and is noisier.",
               "Momentum accumulates past gradients and so moves faster along consistent directions."],
              ["A wider hidden layer can memorise the random targets faster.",
               "More hidden units mean more parameters, so the loss gets lower.",
               "With 160 units the network fits the noise better."],
              ["Since the targets are noise, a low loss only means memorisation.",
               "None of this generalises because the data are random.",
               "The scheduler halves the learning rate every ten epochs so the curves flatten."]],
}
SYNONYMS = {"function": "map", "always": "in every case", "gives": "yields", "network": "model",
            "because": "since", "so": "hence", "adds": "contributes", "units": "neurons",
            "loss": "error", "faster": "more quickly", "more": "extra", "weights": "parameters",
            "single": "one", "zero": "0", "both": "the two", "every": "each"}


HABITS = [  # a student's small habits, each applied to all their code
    (r"(\w+) \+= (.+)", r"\1 = \1 + \2"),
    (r"np\.asarray\(", "np.array("),
    (r"(\w+) @ (\w+)", r"np.dot(\1, \2)"),
    (r"\.append\((\w+)\)", r" += [\1]"),
    (r"\b(lr|momentum|step_size|gamma)=\1\b", r"\1"),
    (r"(?<![.\w])nn\.", "torch.nn."),
    (r"np\.exp\(-(\w+)", r"np.exp(-1 * \1"),
    (r"np\.zeros\(", "np.zeros(shape="),
    (r"^(\s+)return (\w+\(.*\))$", r"\1answer = \2\n\1return answer"),
    (r"^(\s+)for (.+) in (.+):$", r"\1for \2 in list(\3):"),
]
OPENERS = ["", "", "I think ", "Basically, ", "Note that ", "In short, ", "We see that ",
           "Clearly, ", "As shown in class, "]
PERSONAL = {"function": ["map", "mapping"], "always": ["in every case", "always"],
            "gives": ["yields", "produces", "results in"], "network": ["model", "net"],
            "because": ["since", "as"], "adds": ["contributes", "introduces"],
            "units": ["neurons", "nodes"], "loss": ["error", "cost"],
            "faster": ["more quickly", "quicker"], "weights": ["parameters", "connections"],
            "single": ["one", "just one"], "both": ["the two", "each of the"],
            "every": ["each", "any"], "matrix": ["array", "matrix"], "joint": ["kink", "corner"],
            "joints": ["kinks", "breakpoints"], "region": ["piece", "segment"],
            "regions": ["pieces", "segments"], "so": ["hence", "therefore"],
            "the output": ["y", "the result"], "line": ["straight line", "linear function"],
            "larger": ["bigger", "higher"], "slowly": ["gradually", "slow"],
            "makes": ["causes", "lets"], "more": ["extra", "additional"]}


def _habits(rng: random.Random) -> list[tuple[str, str]]:
    return [h for h in HABITS if rng.random() < 0.35]


def _apply(habits: list[tuple[str, str]], code: str) -> str:
    for pattern, repl in habits:
        code = re.sub(pattern, repl, code, flags=re.M)
    return code


def _own_words(rng: random.Random, text: str) -> str:
    """A sentence as this student would put it: their synonyms and openers."""
    for word, options in PERSONAL.items():
        if rng.random() < 0.5:
            text = re.sub(rf"\b{word}\b", rng.choice(options), text)
    opener = rng.choice(OPENERS)
    return opener + (text[0].lower() + text[1:] if opener else text)


def _indent(body: str) -> str:
    return "\n".join(("    " + line) if line.strip() else "" for line in body.split("\n"))


@dataclass
class Student:
    id: str
    kind: str  # honest, copier, group, partial
    cells: dict[str, str] = field(default_factory=dict)  # function -> its cell's code
    theory: dict[str, str] = field(default_factory=dict)  # field -> the answer as written
    explanations: dict[str, str] = field(default_factory=dict)  # question -> Markdown
    origin: dict[str, str] = field(default_factory=dict)  # function -> who wrote it
    source: str = ""  # whom this student copied from (copiers)


def _zipf(rng: random.Random, n: int) -> int:
    weights = [1 / (r + 1) for r in range(n)]
    return rng.choices(range(n), weights)[0]


def _function(rng: random.Random, name: str, body: str, names: dict[str, str]) -> str:
    code = body.format(**names)
    lines = code.split("\n")
    if rng.random() < 0.4:  # a comment of one's own
        k = rng.randrange(len(lines))
        pad = re.match(r"\s*", lines[k]).group(0)
        lines.insert(k, pad + rng.choice(COMMENTS))
    doc = '    """' + rng.choice(["Solution.", "My implementation.", "Compute it.",
                                   "See the prompt."]) + '"""\n' if rng.random() < 0.5 else ""
    return SIGNATURES[name] + "\n" + doc + _indent("\n".join(lines)) + "\n"


def _names(rng: random.Random) -> dict[str, str]:
    return {k: rng.choice(v) for k, v in NAMES.items()}


def _theory(rng: random.Random) -> dict[str, str]:
    out = {}
    for f, right in THEORY_RIGHT.items():
        r = rng.random()
        if r < 0.75 or f not in THEORY_SLIPS:
            out[f] = right
        elif r < 0.93:
            out[f] = rng.choice(THEORY_SLIPS[f])
        else:  # a slip of one's own
            out[f] = str(rng.randint(2, 999)) if f in INTS else right.replace("+", "-", 1)
        if f in ("q3_1_y_linear", "q3_1_y_identity", "q4_6_n_weights") and rng.random() < 0.3:
            out[f] = repr(out[f])  # written as a string
    r = rng.random()
    out["q3_5_counterexample"] = "(-1, 1)" if r < 0.5 else "(-1, 2)" if r < 0.7 else \
        f"({-rng.randint(1, 9) / 2}, {rng.randint(1, 9)})"
    params = {"phi0": 0.0, "phi1": 1.0, "phi2": 0.0, "phi3": 0.0, "theta10": 0.0,
              "theta11": 1.0, "theta20": 0.0, "theta21": 0.0, "theta30": 0.0, "theta31": 0.0}
    if rng.random() < 0.5:
        params = {k: round(rng.uniform(-2, 2), 1) for k in params}
    out["q3_10_two_region_params"] = repr(params)
    return out


def _explain(rng: random.Random, q: str) -> str:
    ideas = EXPLAIN[q]
    chosen = sorted(rng.sample(range(len(ideas)), rng.randint(2, len(ideas))))
    return " ".join(_own_words(rng, rng.choice(ideas[i])) for i in chosen)


def _pick(rng: random.Random, options: list[str]) -> str:
    return options[_zipf(rng, len(options))]


def _compose_train(rng: random.Random) -> str:
    """``train`` from independent choices, as students differ in the longer functions."""
    crit = _pick(rng, ["{o} = nn.MSELoss()", "{o} = torch.nn.MSELoss()",
                       "{o} = nn.MSELoss(reduction='mean')", "{o} = nn.functional.mse_loss"])
    opt = _pick(rng, ["{t} = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)",
                      "{t} = optim.SGD(model.parameters(), lr=lr, momentum=momentum)",
                      "{t} = torch.optim.SGD(params=model.parameters(), lr=lr, momentum=momentum)",
                      "{t} = torch.optim.SGD(list(model.parameters()), lr, momentum)"])
    sch = _pick(rng, ["{u} = torch.optim.lr_scheduler.StepLR({t}, step_size=step_size, gamma=gamma)",
                      "{u} = torch.optim.lr_scheduler.StepLR({t}, step_size, gamma)",
                      "{u} = optim.lr_scheduler.StepLR({t}, step_size=step_size, gamma=gamma)",
                      "from torch.optim.lr_scheduler import StepLR\n{u} = StepLR({t}, step_size=step_size, gamma=gamma)"])
    head = [crit, opt, sch]
    if rng.random() < 0.4:
        rng.shuffle(head)
    init = _pick(rng, ["{w} = []", "{w} = list()", "{w} = [0.0] * n_epochs"])
    epoch = _pick(rng, ["for _ in range(n_epochs):", "for epoch in range(n_epochs):",
                        "for epoch in range(1, n_epochs + 1):"])
    if rng.random() < 0.25:
        epoch = "model.train()\n" + epoch
    acc0 = _pick(rng, ["    {v} = 0.0", "    {v} = 0", "    {v} = []", "    {v} = torch.tensor(0.0)"])
    batch = _pick(rng, ["    for xb, yb in data_loader:", "    for inputs, targets in data_loader:",
                        "    for i, (xb, yb) in enumerate(data_loader):",
                        "    for batch in data_loader:\n        xb, yb = batch"])
    fwd = _pick(rng, ["        loss = {o}(model(xb), yb)",
                      "        pred = model(xb)\n        loss = {o}(pred, yb)",
                      "        outputs = model(xb)\n        loss = {o}(outputs, yb)",
                      "        loss = {o}(model.forward(xb), yb)"])
    steps = ["        {t}.zero_grad()", fwd, "        loss.backward()", "        {t}.step()"]
    if rng.random() < 0.4:
        steps = [fwd, "        {t}.zero_grad()", "        loss.backward()", "        {t}.step()"]
    add = {"    {v} = 0.0": "        {v} += loss.item()", "    {v} = 0": "        {v} = {v} + loss.item()",
           "    {v} = []": "        {v}.append(loss.item())",
           "    {v} = torch.tensor(0.0)": "        {v} += loss.detach()"}[acc0]
    if init == "{w} = [0.0] * n_epochs":
        acc0, add, keep = "", "        {w}[epoch] += loss.item()", ""
    else:
        keep = {"    {v} = []": "    {w}.append(sum({v}))",
                "    {v} = torch.tensor(0.0)": "    {w}.append({v}.item())"}.get(
            acc0, "    {w}.append({v})")
    tail = ["    {u}.step()", keep] if rng.random() < 0.7 else [keep, "    {u}.step()"]
    if "range(1," in epoch and "[epoch]" in add:
        add = add.replace("[epoch]", "[epoch - 1]")
    body = head + [init, epoch] + ([acc0] if acc0 else []) + [batch] + steps + [add] + tail
    if "xb, yb" not in batch and "inputs" in batch:
        body = [b.replace("xb", "inputs").replace("yb", "targets") for b in body]
    return "\n".join(b for b in body if b) + "\nreturn {w}"


def _compose_forward_propagation(rng: random.Random) -> str:
    conv = _pick(rng, ["", "W = np.asarray(W)\nA = np.asarray(A)", "W, A = np.asarray(W), np.asarray(A)",
                       "W = np.array(W, dtype=float)\nA = np.array(A, dtype=float)"])
    bias = _pick(rng, ["if b is None:\n    b = np.zeros(W.shape[0])",
                       "b = np.zeros(W.shape[0]) if b is None else np.asarray(b)",
                       "if b is None:\n    b = np.zeros((W.shape[0], 1))",
                       "b = np.zeros(len(W)) if b is None else b"])
    waug = _pick(rng, ["{o} = np.hstack([W, np.reshape(b, (-1, 1))])",
                       "{o} = np.column_stack((W, b))", "{o} = np.c_[W, b]",
                       "{o} = np.concatenate([W, np.asarray(b).reshape(-1, 1)], axis=1)"])
    aaug = _pick(rng, ["{t} = np.vstack([A, np.ones((1, A.shape[1]))])",
                       "{t} = np.row_stack((A, np.ones(A.shape[1])))",
                       "{t} = np.r_[A, np.ones((1, A.shape[1]))]",
                       "{t} = np.concatenate([A, np.ones((1, A.shape[1]))], axis=0)"])
    ret = _pick(rng, ["return f({o} @ {t})", "return f(np.dot({o}, {t}))",
                      "{u} = {o} @ {t}\nreturn f({u})", "return f(np.matmul({o}, {t}))"])
    parts = [conv, bias, waug, aaug] if rng.random() < 0.7 else [conv, bias, aaug, waug]
    return "\n".join(p for p in parts + [ret] if p)


def _compose_build_model(rng: random.Random) -> str:
    seq = _pick(rng, ["{o} = nn.Sequential(nn.Linear(D_i, D_k), nn.ReLU(), nn.Linear(D_k, D_k), nn.ReLU(), nn.Linear(D_k, D_o))",
                      "{o} = torch.nn.Sequential(torch.nn.Linear(D_i, D_k), torch.nn.ReLU(), torch.nn.Linear(D_k, D_k), torch.nn.ReLU(), torch.nn.Linear(D_k, D_o))",
                      "{w} = [nn.Linear(D_i, D_k), nn.ReLU(), nn.Linear(D_k, D_k), nn.ReLU(), nn.Linear(D_k, D_o)]\n{o} = nn.Sequential(*{w})"])
    loop = _pick(rng, ["for {t} in {o}:\n    if isinstance({t}, nn.Linear):",
                       "for {t} in {o}.modules():\n    if isinstance({t}, nn.Linear):",
                       "for {t} in [{o}[0], {o}[2], {o}[4]]:\n    if True:",
                       "for {t} in {o}:\n    if type({t}) == nn.Linear:"])
    winit = _pick(rng, ["        nn.init.kaiming_normal_({t}.weight)",
                        "        nn.init.kaiming_normal_({t}.weight, nonlinearity='relu')",
                        "        nn.init.kaiming_uniform_({t}.weight, nonlinearity='relu')",
                        "        torch.nn.init.kaiming_normal_({t}.weight, mode='fan_in')",
                        "        nn.init.normal_({t}.weight, 0.0, (2.0 / {t}.in_features) ** 0.5)"])
    binit = _pick(rng, ["        nn.init.zeros_({t}.bias)", "        {t}.bias.data.fill_(0.0)",
                        "        nn.init.constant_({t}.bias, 0)", "        {t}.bias.data.zero_()"])
    inner = [winit, binit] if rng.random() < 0.75 else [binit, winit]
    return "\n".join([seq, loop] + inner + ["return {o}"])


def _compose_init_weights(rng: random.Random) -> str:
    draw = _pick(rng, ["np.random.randn({a}, {b})", "np.random.normal(size=({a}, {b}))",
                       "np.random.standard_normal(({a}, {b}))", "{v}.standard_normal(({a}, {b}))",
                       "np.random.normal(0, 1, ({a}, {b}))"])
    pre = "{v} = np.random.default_rng()\n" if "{v}." in draw else ""
    names = ["{o}", "{t}", "{u}"]
    dims = [("n_inputs", "n_hidden"), ("n_hidden", "n_hidden"), ("n_hidden", "n_output")]
    lines = [f"{n} = " + draw.replace("{a}", a).replace("{b}", b) for n, (a, b) in zip(names, dims)]
    ret = _pick(rng, ["return {o}, {t}, {u}", "return ({o}, {t}, {u})", "return [{o}, {t}, {u}]"])
    return pre + "\n".join(lines) + "\n" + ret


def _compose_sigmoid(rng: random.Random) -> str:
    if rng.random() < 0.45:
        return _pick(rng, WAYS["sigmoid"])
    conv = _pick(rng, ["z = np.asarray(z, dtype=float)", "z = np.array(z, dtype=np.float64)",
                       "z = np.asarray(z)", "z = np.atleast_1d(z).astype(float)"])
    alloc = _pick(rng, ["{o} = np.empty_like(z)", "{o} = np.zeros_like(z)", "{o} = np.zeros(z.shape)"])
    mask = _pick(rng, ["{t} = z >= 0", "{t} = z > 0", "{t} = (z >= 0)", "{t} = np.greater_equal(z, 0)"])
    pos = _pick(rng, ["{o}[{t}] = 1 / (1 + np.exp(-z[{t}]))", "{o}[{t}] = 1.0 / (1.0 + np.exp(-z[{t}]))",
                      "{o}[{t}] = np.reciprocal(1 + np.exp(-z[{t}]))"])
    neg = _pick(rng, ["{u} = np.exp(z[~{t}])\n{o}[~{t}] = {u} / (1 + {u})",
                      "{o}[~{t}] = np.exp(z[~{t}]) / (1 + np.exp(z[~{t}]))",
                      "{u} = np.exp(z[np.logical_not({t})])\n{o}[np.logical_not({t})] = {u} / ({u} + 1)"])
    ret = _pick(rng, ["return {o}", "return {o} if {o}.ndim else {o}.item()",
                      "return {o}[()] if {o}.ndim == 0 else {o}", "return float({o}) if np.isscalar(z) else {o}"])
    return "\n".join([conv, alloc, mask, pos, neg, ret])


COMPOSED = {"train": _compose_train, "forward_propagation": _compose_forward_propagation,
            "build_model": _compose_build_model, "init_weights": _compose_init_weights,
            "sigmoid": _compose_sigmoid}


def honest(rng: random.Random, sid: str) -> Student:
    s = Student(sid, "honest")
    names = _names(rng)
    habits = _habits(rng)
    for f in FUNCTIONS:
        way = COMPOSED[f](rng) if f in COMPOSED else WAYS[f][_zipf(rng, len(WAYS[f]))]
        s.cells[f] = _apply(habits, _function(rng, f, way, names))
        s.origin[f] = sid
    s.theory = _theory(rng)
    s.explanations = {q: _explain(rng, q) for q in EXPLAIN}
    return s


# ----------------------------------------------------------------------------- hiding a copy


def rename(rng: random.Random, code: str) -> str:
    """Every name the student chose becomes another (keywords, contract names kept)."""
    keep = set(FUNCTIONS) | {"np", "nn", "torch", "sp", "self", "optim", "range", "len", "float",
                             "isinstance", "sum", "tuple", "enumerate", "lambda"}
    import keyword

    mapping: dict[str, str] = {}

    def sub(m: re.Match) -> str:
        word, before = m.group(0), m.string[max(0, m.start() - 1):m.start()]
        if keyword.iskeyword(word) or word in keep or before == "." or word[0].isupper() \
                and len(word) > 2:
            return word
        if word not in mapping:
            mapping[word] = rng.choice(["v", "tmp", "my", "the", "x", "val"]) + "_" + word[:2] \
                + str(rng.randint(0, 99))
        return mapping[word]

    out = []
    for line in code.split("\n"):
        if line.lstrip().startswith("def "):
            out.append(line)  # keep the signature: callers use it
            continue
        out.append(re.sub(r"(?<![\"'\w])[A-Za-z_]\w*", sub, line))
    return "\n".join(out)


def reformat(rng: random.Random, code: str) -> str:
    code = re.sub(r" = ", lambda m: rng.choice([" = ", "=", "  =  "]), code)
    code = code.replace(", ", rng.choice([", ", ",", " , "]))
    code = code.replace("    ", rng.choice(["    ", "  ", "\t"]))
    code = re.sub(r"\n\n+", "\n", code) if rng.random() < 0.5 else code.replace("\n", "\n\n", 2)
    return code.replace("'", '"') if rng.random() < 0.5 else code.replace('"', "'")


def recomment(rng: random.Random, code: str) -> str:
    lines = [ln for ln in code.split("\n") if not ln.lstrip().startswith("#")]
    lines = [re.sub(r'""".*"""', '"""' + rng.choice(["My own work.", "Implements it.",
                                                      "Done."]) + '"""', ln) for ln in lines]
    k = rng.randrange(1, len(lines)) if len(lines) > 1 else 0
    pad = re.match(r"\s*", lines[k]).group(0) if lines[k].strip() else "    "
    lines.insert(k, pad + rng.choice(COMMENTS))
    return "\n".join(lines)


REWRITES = [
    (r"(\w+) \+= (.+)", r"\1 = \1 + \2"),
    (r"(\w+) = \1 \+ (.+)", r"\1 += \2"),
    (r"\breturn (\w+), (\w+), (\w+)$", r"return (\1, \2, \3)"),
    (r"np\.asarray\(", "np.array("),
    (r"(\w+) @ (\w+)", r"np.matmul(\1, \2)"),
    (r"1 / \(1 \+ ", "1.0 / (1.0 + "),
    (r"for _ in range", "for epoch in range"),
    (r"\.append\((\w+)\)", r" += [\1]"),
]


def rewrite(rng: random.Random, code: str) -> str:
    """A few small rewrites (an augmented assignment spelled out, an operator as a call, ...)."""
    lines = code.split("\n")
    for i, line in enumerate(lines):
        for pattern, repl in REWRITES:
            if rng.random() < 0.35:
                line = re.sub(pattern, repl, line)
        lines[i] = line
    # an extra variable before a return, now and then
    for i, line in enumerate(lines):
        m = re.match(r"(\s+)return (.+\(.+\))$", line)
        if m and rng.random() < 0.4:
            lines[i:i + 1] = [f"{m.group(1)}final_value = {m.group(2)}",
                              f"{m.group(1)}return final_value"]
            break
    return "\n".join(lines)


def paraphrase(rng: random.Random, text: str) -> str:
    sentences = re.split(r"(?<=\.) ", text)
    if len(sentences) > 2 and rng.random() < 0.6:
        i = rng.randrange(len(sentences) - 1)
        sentences[i], sentences[i + 1] = sentences[i + 1], sentences[i]
    out = " ".join(sentences)
    for a, b in SYNONYMS.items():
        if rng.random() < 0.4:
            out = re.sub(rf"\b{a}\b", b, out)
    return out


def hide(rng: random.Random, code: str) -> str:
    """A copier's disguise: each obfuscation with its own chance, at least two of them."""
    steps = [rename, reformat, recomment, rewrite]
    chosen = [s for s in steps if rng.random() < 0.6] or rng.sample(steps, 2)
    for step in chosen:
        code = step(rng, code)
    return code


def copier(rng: random.Random, sid: str, source: Student, kind: str = "copier") -> Student:
    s = Student(sid, kind, source=source.id)
    for f in FUNCTIONS:
        s.cells[f] = hide(rng, source.cells[f])
        s.origin[f] = source.origin[f]
    s.theory = dict(source.theory)
    if rng.random() < 0.3:  # fixed one answer they noticed was wrong
        f = rng.choice(list(THEORY_RIGHT))
        s.theory[f] = THEORY_RIGHT[f]
    s.explanations = {q: paraphrase(rng, t) if rng.random() < 0.7 else _explain(rng, q)
                      for q, t in source.explanations.items()}
    return s


HARD = ["train", "forward_propagation", "build_model", "sigmoid", "init_weights", "feedforward"]


def partial(rng: random.Random, sid: str, source: Student) -> Student:
    s = honest(rng, sid)
    s.kind, s.source = "partial", source.id
    # what one copies is what one could not do: the longer functions
    for f in rng.sample(HARD, rng.randint(3, 5)):
        s.cells[f] = hide(rng, source.cells[f])
        s.origin[f] = source.origin[f]
    return s


def outside_source(rng: random.Random) -> Student:
    s = Student("outside-source", "outside")
    names = _names(rng)
    for f in FUNCTIONS:
        s.cells[f] = _function(rng, f, OUTSIDE[f], names)
        s.origin[f] = "outside-source"
    s.theory = _theory(rng)
    s.theory["q4_4_n_params"] = "519"  # the source's own slip
    s.explanations = {q: _explain(rng, q) for q in EXPLAIN}
    return s


@dataclass
class SyntheticClass:
    students: list[Student]

    def by_id(self) -> dict[str, Student]:
        return {s.id: s for s in self.students}

    def truth(self, a: str, b: str) -> bool | None:
        """True: copied (at least three functions share an origin); False: honest; None: one or
        two functions in common (left out of precision and recall)."""
        sa, sb = self.by_id()[a], self.by_id()[b]
        same = sum(1 for f in FUNCTIONS if sa.origin[f] == sb.origin[f])
        if same >= 3:
            return True
        return None if same else False


def make_class(n_honest: int = 90, n_copiers: int = 10, n_group: int = 5, n_partial: int = 6,
               seed: int = 0) -> SyntheticClass:
    rng = random.Random(seed)
    students = [honest(rng, f"h{i:04d}") for i in range(n_honest)]
    sources = rng.sample(students, min(n_honest, max(n_copiers, n_partial)))
    for i in range(n_copiers):
        src = sources[i % len(sources)] if i % 4 else rng.choice(students[:n_honest])
        students.append(copier(rng, f"c{i:04d}", src))
    outside = outside_source(rng)
    for i in range(n_group):
        students.append(copier(rng, f"g{i:04d}", outside, "group"))
    for i in range(n_partial):
        students.append(partial(rng, f"p{i:04d}", sources[-1 - i % len(sources)]))
    rng.shuffle(students)
    return SyntheticClass(students)


# ----------------------------------------------------------------------------- notebooks


def _template(root: Path) -> dict:
    return json.loads((root / "student_template" / "hw3.ipynb").read_text())


def notebook(student: Student, template: dict, rng: random.Random) -> dict:
    """The student's notebook: the template with its answer cells filled in."""
    nb = copy.deepcopy(template)
    cells = nb["cells"]
    order = list(FUNCTIONS)
    merge = student.kind != "honest" and rng.random() < 0.3  # all functions in one cell
    if student.kind != "honest" and rng.random() < 0.5:
        rng.shuffle(order)
    function_cells = []
    for i, cell in enumerate(cells):
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        tags = cell.get("metadata", {}).get("tags", [])
        if "otter_answer_cell" not in tags:
            continue
        if cell["cell_type"] == "markdown":
            prompt = "".join(cells[i - 1]["source"])
            q = next((q for q, mark in (("q3_1", "(3.1)"), ("q3_5", "(3.5)"),
                                        ("q3_10", "(3.10)"), ("q4_6", "(4.6)"),
                                        ("train", "(2.4)")) if mark in prompt), None)
            if q:
                cell["source"] = student.explanations.get(q, src)
            continue
        m = re.match(r"def (\w+)\(", src)
        if m and m.group(1) in FUNCTIONS:
            function_cells.append(i)
            continue
        lines = src.split("\n")
        for j, line in enumerate(lines):
            f = line.split(" = ", 1)[0]
            if f in student.theory and line.endswith("= ..."):
                lines[j] = f"{f} = {student.theory[f]}"
        if "def relu_sym" in src:
            body = rng.choice(["return sp.Max(0, z)", "return sp.Piecewise((z, z > 0), (0, True))",
                               "return sp.Max(z, 0)"])
            src = "\n".join(lines).replace("    ...", "    " + body)
            lines = src.split("\n")
        cell["source"] = "\n".join(lines)
    codes = [student.cells[f] for f in order]
    if merge:
        cells[function_cells[0]]["source"] = "\n\n".join(codes)
        for i in function_cells[1:]:
            cells[i]["source"] = "# see above\n"
    else:
        for i, code in zip(function_cells, codes):
            cells[i]["source"] = code
    for cell in cells:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    return nb


def write_class(klass: SyntheticClass, root: Path, out: Path, seed: int = 0) -> list[Path]:
    """Write every student's notebook into ``out`` (``<id>.ipynb``)."""
    rng = random.Random(seed + 1)
    template = _template(root)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for s in klass.students:
        p = out / f"{s.id}.ipynb"
        p.write_text(json.dumps(notebook(s, template, rng)))
        paths.append(p)
    return paths
