"""A small, realistic ``results.json`` generator for the report tests.

Students get an ability; each case a difficulty; a student passes a case with a logistic
probability of the difference, so the item analysis has something real to find. One case is
deliberately "bad" (stronger students fail it more) to give a negative discrimination.
"""

from __future__ import annotations

import copy
import math
import random
from typing import Any

# (case id suffix, points, hidden, description); points add up to each question's possible.
CASES: dict[str, list[tuple[str, float, bool, str]]] = {
    "q3_1": [("form", 1, False, "the three answers are formulas in the problem's symbols"),
             ("y_linear", 2, True, "the output with a linear activation is right"),
             ("y_identity", 2, True, "the output with the identity activation is right"),
             ("mapping", 1, True, "the kind of mapping is named correctly")],
    "q3_5": [("form", 1, False, "relu_sym returns a SymPy expression"),
             ("is_relu", 2, True, "relu_sym is ReLU for positive, negative and zero z"),
             ("homogeneous", 1, True, "relu_sym(alpha*z) equals alpha*relu_sym(z)"),
             ("counterexample", 2, True, "the counterexample really breaks the property")],
    "q3_10": [("form", 1, False, "the region counts are whole numbers"),
              ("counts", 2, True, "the largest and smallest numbers of regions"),
              ("two_regions", 3, True, "the parameters give exactly two linear regions")],
    "q4_4": [("form", 1, False, "four (rows, cols) pairs, four bias sizes and a count"),
             ("weight_shapes", 2, True, "the weight matrices' shapes"),
             ("bias_sizes", 1, True, "the bias vectors' sizes"),
             ("n_params", 2, True, "the total number of parameters")],
    "q4_5": [("form", 1, False, "depth and width are whole numbers"),
             ("depth", 1.5, True, "the depth"),
             ("width", 1.5, True, "the width")],
    "q4_6": [("form", 1, False, "a formula in D_i, D_o, D and K, two numbers and a word"),
             ("n_weights", 3, True, "the formula for the number of weights"),
             ("extra_depth", 1, True, "the extra weights of one more layer"),
             ("extra_width", 2, True, "the extra weights of one more unit in every layer"),
             ("answer", 1, True, "which change adds more weights")],
    "init_weights": [("form", 1, False, "returns lists of weight matrices and bias vectors"),
                     ("shapes", 2, False, "the weights and biases have the right shapes"),
                     ("scale", 3, True, "the weights have He-initialisation variance")],
    "feedforward": [("shapes", 2, False, "the output has shape (D_o, I)"),
                    ("values", 4, True, "the output matches the reference network"),
                    ("batch", 2, True, "a batch gives the same columns as single inputs"),
                    ("relu_hidden", 2, True, "hidden layers use ReLU, the output layer none")],
    "predict": [("shape", 2, False, "one label per input"),
                ("values", 4, True, "the labels match the reference network")],
    "forward_propagation": [("returns", 2, False, "returns the output, pre-activations and "
                                                  "activations"),
                            ("pre_activations", 4, True, "the pre-activations are right"),
                            ("activations", 4, True, "the activations are right")],
    "sigmoid": [("values", 3, False, "sigmoid(0), sigmoid(2) and sigmoid(-2)"),
                ("stable", 3, True, "stays finite for very large |z|"),
                ("vectorized", 2, False, "works element-wise on arrays")],
    "relu": [("values", 3, False, "relu of positive, negative and zero inputs"),
             ("zero", 1, True, "relu(0) is exactly 0"),
             ("vectorized", 2, False, "works element-wise on arrays")],
    "build_model": [("layers", 3, False, "the model has the asked-for layers"),
                    ("n_params", 3, True, "the model has the right number of parameters"),
                    ("activations", 2, True, "ReLU between the linear layers")],
    "train": [("runs", 2, False, "train runs for the given number of epochs"),
              ("loss_decreases", 4, True, "the training loss goes down"),
              ("accuracy", 4, True, "the test accuracy reaches 90%")],
}
QUESTIONS = list(CASES)
BAD_CASE = "q4_5.width"  # the reference answer is "wrong" here: good students fail it

FAIL_MESSAGES = {
    False: [  # public cases may show values
        "expected an array of shape (3, 5), got shape (5, 3)",
        "got 0.5 where 0.8807970779778823 was expected",
        "NameError: name 'np' is not defined",
    ],
    True: [  # hidden cases: messages already made safe by the grader
        "the values differ from the expected ones",
        "hint: check the order of the matrix product",
    ],
}


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def question_defs() -> dict[str, Any]:
    out = {}
    for q, cases in CASES.items():
        out[q] = {
            "possible": float(sum(p for _, p, _, _ in cases)),
            "cases": [{"id": f"{q}.{c}", "points": float(p), "hidden": h, "description": d}
                      for c, p, h, d in cases],
        }
    return out


def make_submission(sub_id: str, passes: dict[str, bool], *, rng: random.Random,
                    status: str = "graded", message: str = "") -> dict[str, Any]:
    """One submission; ``passes`` maps case ids to pass/fail (missing: fail)."""
    questions, cases = {}, []
    total = possible = 0.0
    for q, defs in CASES.items():
        q_score = q_possible = 0.0
        for c, points, hidden, description in defs:
            cid = f"{q}.{c}"
            ok = status == "graded" and passes.get(cid, False)
            score = float(points) if ok else 0.0
            q_score += score
            q_possible += points
            if status == "graded":
                cases.append({
                    "id": cid, "question": q, "points": float(points), "score": score,
                    "hidden": hidden, "passed": ok, "description": description,
                    "message": "" if ok else rng.choice(FAIL_MESSAGES[hidden]),
                })
        questions[q] = {"score": q_score, "possible": q_possible}
        total += q_score
        possible += q_possible
    return {
        "path": f"subs/{sub_id}.ipynb", "id": sub_id, "status": status, "message": message,
        "score": total, "possible": possible, "questions": questions, "cases": cases,
        "events": [], "isolation": "bubblewrap", "seconds": round(rng.uniform(0.8, 9.0), 1),
    }


def make_results(n: int = 24, seed: int = 3, *, odd: bool = True) -> dict[str, Any]:
    """``n`` submissions; with ``odd``, also an invalid one, a timeout, a sandbox event, weak
    isolation, hostile ids and a message that tries HTML injection."""
    rng = random.Random(seed)
    defs = question_defs()
    difficulty = {c["id"]: rng.uniform(-1.8, 1.2) for q in defs.values() for c in q["cases"]}
    difficulty["sigmoid.values"] = -9.0  # everyone passes this one
    names = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
             "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "uma", "victor",
             "walter", "xena", "yusuf", "zoe"]
    ids = [names[i] if i < len(names) else f"student{i:03d}" for i in range(n)]
    subs = []
    for sub_id in ids:
        ability = rng.gauss(0.0, 1.2)
        passes = {}
        for cid, d in difficulty.items():
            a = -ability if cid == BAD_CASE else ability
            passes[cid] = rng.random() < _sigmoid(1.8 * (a - d))
        subs.append(make_submission(sub_id, passes, rng=rng))
    if odd and subs:
        subs[0]["events"].append({
            "kind": "cell_timeout", "cell": 7,
            "message": "Cell 7 ran longer than 30 s and was stopped; grading went on without it.",
        })
        if len(subs) > 2:
            subs[2]["events"].append({"kind": "sandbox", "cell": 3,
                                      "message": "a network connection was refused"})
            subs[2]["isolation"] = "none"
        inject = make_submission("<img src=x onerror=alert(1)>", {
            c: True for c in difficulty if not c.startswith("sigmoid")}, rng=rng)
        for c in inject["cases"]:
            if c["id"] == "sigmoid.values":
                c["message"] = "printed <script>document.title='pwned'</script> & \"quotes\""
        subs.append(inject)
        subs.append(make_submission("José Ruiz", dict.fromkeys(difficulty, True), rng=rng))
        subs.append(make_submission("mystery", {}, rng=rng, status="invalid",
                                    message="not a notebook: JSON error at line 1, column 1"))
    return {
        "assignment": "hw3",
        "autograder": "3f9c2a" + "0" * 58,
        "generated": "2026-11-26T10:00:00Z",
        "questions": defs,
        "submissions": subs,
    }


def with_submissions(results: dict[str, Any], subs: list[dict[str, Any]]) -> dict[str, Any]:
    out = copy.deepcopy(results)
    out["submissions"] = copy.deepcopy(subs)
    return out
