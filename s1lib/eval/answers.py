"""Reading the final answer out of a model's output.

Where the answer is (all kinds), following the official tasks (`lm_eval/tasks/{aime,openai_math,gpqa}/utils.py`):
1. the answer section: text after the last `<|im_start|>answer\\n` (else after the last `<|im_start|>`, minus its
   first line; else the whole text), less end-of-turn tokens left at its end (`<|im_end|>`, `</s>`, `<eos>`, ...);
2. the last braced `\\boxed{...}` or `\\fbox{...}` in it. A `\\boxed x` without braces counts only when there is
   no braced box, and only for the one token after it (the harness takes everything up to the next `$`, so a
   "\\boxed " in prose could beat a real box). Two boxes offered as alternatives at the end ("\\boxed{3} or
   \\boxed{4}") are a hedge and graded wrong;
3. else the statement after the last "Answer:" (the rest of its line, or the next non-empty line; a display block
   that opens there, `$$`, `\\[` or `\\begin{...}`, is read to its close); with no "Answer:" at all, the
   statement after the last "answer is".

The harness differs in step 3: its regex `(?i)Answer\\s*:\\s*(.*)` with DOTALL returns everything after the
*first* "Answer:". `extract_answer(text, official=True)` gives the harness's behaviour.

A statement is then reduced to its answer (`clean_statement`): "The final answer is X. I hope it is correct."
gives X; a trailing explanation in parentheses ("073 (since m+n=73)") or after a comma ("18, since ...") is
dropped; one inline formula among words ("so it is $204$") gives the formula; `$` and markdown are removed. A
statement that weighs alternatives and then commits ("12 or 15, but 15 fits", "either A or C; I'll go with C") is
read after its last commitment word (but, so, thus, hence, therefore, finally, "I choose", "the answer is", ...),
when an answer follows it; otherwise ("12 or 15, but I am not sure") it stays a hedge.

Multiple choice (`read_choice`), written as rules:
- The final statement is the box, else the first sentence after the last "Answer:" that names an option, else the
  last sentence of the answer section that names one.
- Markup is unwrapped first (`\\textbf{B}`, `\\text{(B)}`, `\\(B\\)`, `**B**`, `$B$`).
- An option is named by its letter standing alone: "B", "(B)", "[B]", "B)", "option B", "choice B". A lowercase
  letter counts only in brackets or as the whole statement ("Answer: b"). A capital "A" followed by a lowercase
  word is the article ("A good fit is C"), unless that word is a verb or connector ("A is correct", "A or B").
- An option called wrong is not named as the answer: a letter whose own predicate is negative ("A and C are
  wrong", "B is not correct", "A can be ruled out") or that follows "not", "except", "rather than", "instead of",
  "neither", "nor" is dropped; so is everything after "because", "since", "whereas" in a clause (explanations).
- Words right after a bracketed option ("(B) vitamin C") are that option's text, not another option, up to the
  next connector ("or", "and", "/", ",").
- A sentence that names several options and then commits to one after a commitment word ("A or C, but C is
  correct", "between B and D, I choose D") names that one.
- Exactly one option left: that letter. Two or more ("(A) or (B)", "A/B", "A, B, or C", "A. or maybe D",
  `\\boxed{A, C}`) is a hedge and graded wrong. None: no answer.
The harness reads the extraction as a letter, asks gpt-4o-mini to extract one when it is not, and defaults to "A"
when that fails too (a 25% chance of credit for no answer). Here no model is asked and nothing is defaulted;
`official=True` restores the default.
"""

from __future__ import annotations

import re

ANSWER_SPLIT = "<|im_start|>answer\n"
# end-of-turn tokens a recorded output may keep: ChatML's and other chat formats' (<|eot_id|>, </s>, <end_of_turn>)
_END_OF_TURN = re.compile(r"(?:<\|[\w.-]{1,40}\|>|</s>|<eos>|<end_of_turn>)$")


def answer_section(text: str) -> str:
    if ANSWER_SPLIT in text:
        section = text.split(ANSWER_SPLIT)[-1]
    elif "<|im_start|>" in text:
        tail = text.split("<|im_start|>")[-1]
        section = tail.split("\n", 1)[1] if "\n" in tail else tail
    else:
        section = text
    return strip_end_of_turn(section)


def strip_end_of_turn(text: str) -> str:
    while (end := _END_OF_TURN.search(text.rstrip()[-48:])) is not None:
        text = text.rstrip()[: -len(end.group(0))]
    return text


def last_boxed(text: str) -> str | None:
    """Content of the last braced \\boxed{...} / \\fbox{...}; else the token after an unbraced `\\boxed x`."""
    starts = list(re.finditer(r"\\(?:boxed|fbox)\s*\{", text))
    if not starts:
        spaced = list(re.finditer(r"\\boxed[ \t]+([^\s$]+)", text))
        if not spaced:
            return None
        token = spaced[-1].group(1).rstrip(".,;")
        return None if re.fullmatch(r"[A-Za-z]{2,}", token) else token  # "\boxed around it": prose, not a box
    i = start = starts[-1].end()
    depth = 1
    while i < len(text):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return text[start:i].strip()
        i += 1
    return None  # unbalanced: the model was cut off inside the box


_OFFERED = re.compile(r"\s*\$?\s*,?\s*(?:or|and/or|/)\s*(?:maybe|possibly|perhaps)?\s*\$?\s*", re.IGNORECASE)


def boxes_offered(section: str) -> bool:
    """Does the section end on two boxes offered as alternatives ("\\boxed{3} or \\boxed{4}")? A later box that
    corrects an earlier one ("\\boxed{5}, corrected: \\boxed{7}") is not."""
    starts = list(re.finditer(r"\\(?:boxed|fbox)\s*\{", section))
    if len(starts) < 2:
        return False
    first = last_boxed(section[: starts[-1].start()])
    if first is None:
        return False
    between_start = section.rfind("}", 0, starts[-1].start()) + 1
    return bool(_OFFERED.fullmatch(section[between_start : starts[-1].start()]))


_DISPLAY = re.compile(r"^(\$\$|\\\[|\\begin\{([A-Za-z]+\*?)\})")


def answer_statement(section: str) -> str | None:
    """What follows the last "Answer:" (its line, or the next non-empty line, or the display block opening there);
    where there is no "Answer:", what follows the last "answer is"; else None."""
    found = list(re.finditer(r"(?i)answer\s*:\**\s*", section)) or list(
        re.finditer(r"(?i)\banswer\s+is\s*:?\s*", section)
    )
    if not found:
        return None
    lines = [ln.strip().strip("*").strip() for ln in section[found[-1].end() :].strip().splitlines()]
    lines = [ln for ln in lines if ln]
    if not lines:
        return None
    return display_block(lines) or lines[0]


def display_block(lines: list[str]) -> str | None:
    """The content of a display block (`$$ ... $$`, `\\[ ... \\]`, `\\begin{env} ... \\end{env}`) that opens at
    the first line and closes on a later one (to the last line if it never closes); None if none opens there."""
    opening = _DISPLAY.match(lines[0])
    if not opening:
        return None
    closing = {"$$": "$$", "\\[": "\\]"}.get(opening.group(1), f"\\end{{{opening.group(2)}}}")
    first = lines[0][opening.end() :]
    if closing in first:
        return None  # a one-line display: read as a statement
    body = [first]
    for line in lines[1:]:
        if closing in line:
            body.append(line[: line.index(closing)])
            break
        body.append(line)
    content = " ".join(part.replace("&", "").rstrip("\\").strip() for part in body)
    return content.strip() or None


_LEAD = re.compile(r"(?i)^(?:so,?\s+|thus,?\s+|therefore,?\s+|hence,?\s+)?(?:the\s+)?(?:final\s+)?answer\s+is\s*:?\s*")
_SENTENCE_END = re.compile(r"\.\s+(?=[A-Z])|[!?]\s+")
_EXPLANATION = re.compile(r"(?i),?\s*\b(?:since|because|as|which|so|where|given that)\b.*$")
_INLINE_MATH = re.compile(r"\$\$?(.+?)\$\$?|\\\((.+?)\\\)|\\\[(.+?)\\\]")


MAX_STATEMENT = 2000  # characters of a statement that are read: keeps every rule linear on pathological outputs
# A statement that weighs alternatives, then commits to one after a word like these ("12 or 15, but 15 fits").
_WEIGHS = re.compile(r"(?i)\bor\b|\bbetween\b|\bboth\b|\beither\b|(?<=\b[A-D])\s*/\s*(?=[A-D]\b)")  # A/B, not 3/4
_COMMIT = re.compile(
    r"(?i)\b(?:but|so|thus|hence|therefore|ultimately|finally|in\s+the\s+end|"
    r"I(?:'ll|'d|\s+will|\s+would)?\s+(?:choose|pick|select|go\s+with|settle\s+on)|"
    r"(?:the\s+)?(?:final\s+|correct\s+)?answer\s+is|it(?:'s|\s+is|\s+must\s+be|\s+has\s+to\s+be))\b:?"
)
_VERDICT = re.compile(
    r"(?i)^(?:only|just)\s+|\s+(?:(?:is|must\s+be)\s+(?:correct|right|valid|the\s+answer|the\s+one)|"
    r"works|fits|holds)\W*$"
)


def committed(statement: str) -> str | None:
    """What a statement commits to after weighing alternatives: the text after its last commitment word that
    follows the alternatives, without a verdict around it ("only 15 works" -> "15"); None if it weighs nothing or
    commits to nothing."""
    weighs = _WEIGHS.search(statement)
    if not weighs:
        return None
    commits = [m for m in _COMMIT.finditer(statement) if m.start() > weighs.start()]
    if not commits:
        return None
    return _VERDICT.sub("", statement[commits[-1].end() :].strip(" ,:;.")).strip() or None


def clean_statement(statement: str) -> str | None:
    """The answer inside an answer statement (see the module docstring)."""
    s = statement.strip()[:MAX_STATEMENT].replace("**", "")
    s = _LEAD.sub("", s)
    s = _SENTENCE_END.split(s, maxsplit=1)[0].strip()
    choice = committed(s)
    if choice and (re.search(r"[\d$\\]", choice) or len(choice.split()) == 1):  # an answer follows, not "I'm unsure"
        s = choice
    paren = re.match(r"^(.*\S)\s*\(([^()]*)\)\.?$", s)
    if paren and re.search(r"[A-Za-z]{3,}", paren.group(2)) and "\\" not in paren.group(2):
        s = paren.group(1)
    formulas = _INLINE_MATH.findall(s)
    if len(formulas) == 1 and _INLINE_MATH.sub("", s).strip(" .,:;"):
        s = next(f for f in formulas[0] if f)
    elif not formulas and "$" not in s:
        s = _EXPLANATION.sub("", s) if re.match(r"[^A-Za-z]*\d", s) else s  # "18, since ..." but not "x as ..."
    s = s.strip().strip("$").strip().rstrip(".").strip()
    return s or None


def extract_answer(text: str, official: bool = False) -> str | None:
    section = answer_section(text)
    boxed = last_boxed(section)
    if boxed is not None:
        return boxed or None  # an empty box is no answer
    if official:
        found = re.findall(r"(?i)Answer\s*:\s*(.*)", section, re.DOTALL)
        return found[-1].strip() if found else None
    statement = answer_statement(section)
    return clean_statement(statement) if statement else None


# --- multiple choice ------------------------------------------------------------------------------------------

_UNWRAP = re.compile(r"\\(?:textbf|text|mathrm|mathbf|mbox|emph|textit|underline|texttt)\s*\{([^{}]*)\}")
_LETTER = re.compile(r"(?<![\w\-'\\])([A-Da-d])(?![\w\-']|\.\w)")
_CONNECTOR = re.compile(r"(?i)\b(?:or|and|nor|maybe|perhaps|possibly|either|vs|versus)\b|[/&,]")
_NEGATIVE = re.compile(
    r"(?i)\b(?:wrong|incorrect|false|invalid|not|never|eliminat\w*|rul(?:e|ed|ing)\s+out|"
    r"exclud\w*|discard\w*|reject\w*|impossible|unlikely|fails?|doesn't|isn't|aren't|can't|"
    r"cannot|won't|wouldn't)\b"
)
_NEGATING_PREFIX = re.compile(
    r"(?i)\b(?:not|except|excluding|rather\s+than|instead\s+of|other\s+than|unlike|"
    r"neither|nor|but\s+not|none\s+of)\s*(?:option|choice)?\s*[(\[]?$"
)
_ARTICLE_OK = {
    "is",
    "are",
    "was",
    "were",
    "and",
    "or",
    "nor",
    "seems",
    "appears",
    "looks",
    "would",
    "could",
    "should",
    "must",
    "might",
    "may",
    "can",
    "will",
    "matches",
    "fits",
    "gives",
    "has",
    "remains",
    "also",
    "only",
    "then",
    "vs",
    "versus",
    "being",
    "best",
    "correct",
    "right",
    "wrong",
    "incorrect",
    "it",
}
_EXPLAINS = re.compile(r"(?i)\b(?:because|since|whereas|given\s+that|due\s+to|as\s+opposed\s+to)\b[^;]*")
_CLAUSE = re.compile(r";|,(?!\s*(?:or|and)\b)|\n")


def _unwrap(text: str) -> str:
    for _ in range(3):  # nested wrappers: \boxed{\textbf{(B)}} -> (B)
        text = _UNWRAP.sub(r"\1", text)
    text = re.sub(r"\\[()\[\]]", " ", text)
    return re.sub(r"[$*_`]", " ", text)


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z\\(\[])|\n+", text) if s.strip()]


def _mentions(clause: str, whole: str) -> list[tuple[int, int, str, bool]]:
    """(start, end, letter, bracketed) for each option named in a clause."""
    out = []
    for m in _LETTER.finditer(clause):
        letter, before, after = m.group(1), clause[max(0, m.start() - 40) : m.start()], clause[m.end() : m.end() + 40]
        bracketed = bool(re.search(r"[(\[]\s*$", before) and re.match(r"\s*[)\]]", after)) or bool(
            re.match(r"\)", after) and not re.search(r"\(\s*$", before)
        )
        prefixed = bool(re.search(r"(?i)\b(?:option|choice)\s*$", before))
        if letter.islower() and not (bracketed or prefixed or whole.strip(" .()[]:") == letter):
            continue
        if letter == "A" and not (bracketed or prefixed):
            word = re.match(r"\s+([a-z]+)\b", after)
            if word and word.group(1) not in _ARTICLE_OK:
                continue
        out.append((m.start(), m.end(), letter.upper(), bracketed))
    return out


def _named(statement: str) -> list[str]:
    """The options a statement names as its answer, in order, after dropping negated and explanatory mentions."""
    named = []
    for clause in _CLAUSE.split(_EXPLAINS.sub("", statement)):
        mentions = _mentions(clause, statement)
        for i, (start, end, letter, bracketed) in enumerate(mentions):
            prev_end = mentions[i - 1][1] if i else 0
            if i and mentions[i - 1][3] and not _CONNECTOR.search(clause[prev_end:start]):
                continue  # the words after "(B)" are B's text, not another option
            if _NEGATING_PREFIX.search(clause[prev_end:start]):
                continue
            # its predicate: the text after it, or after the group it belongs to ("A and C are wrong")
            j = i
            while (
                j + 1 < len(mentions) and not _CONNECTOR.sub("", clause[mentions[j][1] : mentions[j + 1][0]]).strip()
            ):
                j += 1
            predicate = clause[mentions[j][1] : mentions[j + 1][0] if j + 1 < len(mentions) else len(clause)]
            predicate = _NEGATING_PREFIX.sub("", predicate)  # "B (not A)": the "not" belongs to A
            if _NEGATIVE.search(predicate):
                continue
            named.append(letter)
    return named


def read_choice(text: str, boxed: str | None = None) -> tuple[str | None, str | None]:
    """(letter, reason) for a multiple-choice output: reason is None for a clean read, else why no letter
    ('hedge: A, B' or 'no option named'). See the module docstring for the rules."""
    section = answer_section(text)
    boxed = last_boxed(section) if boxed is None else boxed
    if boxed is not None:
        candidates = [_unwrap(boxed)]
    else:
        statement = answer_statement(section)
        candidates = _sentences(_unwrap(statement)) if statement else list(reversed(_sentences(_unwrap(section))))
    for sentence in candidates:
        letters = list(dict.fromkeys(_named(sentence[:MAX_STATEMENT])))
        choice = committed(sentence[:MAX_STATEMENT]) if len(letters) > 1 else None
        if choice and len(set(_named(choice))) == 1:  # "A or C, but C is correct"
            return _named(choice)[0], None
        if len(letters) == 1:
            return letters[0], None
        if len(letters) > 1:
            return None, f"hedge: {', '.join(letters)}"
    return None, "no option named"
