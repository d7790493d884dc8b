"""engagement: the survey page a survey message's links open (no API key: the signed link is the
credential, as for the unsubscribe page).

Opening a score's link records that score provisionally (a mail scanner may open it before the customer:
see :mod:`comptoir.engagement.survey_policies` for what it then counts for) and shows the question with
that score chosen, a comment box and a button that confirms the answer; the SMS's link (no score) shows
the question with nothing chosen. Confirming saves the score and the comment (the form carries the page's
CSRF token) and thanks the customer; a confirmed answer may be changed again from the same link. A link
that is not ours, or whose message is gone (the person was erased), answers 404. French and English.
"""

from __future__ import annotations

from typing import Annotated, Any

from babel.support import NullTranslations
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from comptoir.core.api import app_state
from comptoir.core.context import Actor
from comptoir.core.errors import InvalidInput, NotFound
from comptoir.core.i18n import translations
from comptoir.core.uow import UnitOfWork
from comptoir.core.web import Pages, Public, page_language
from comptoir.engagement import facts_surveys, mail_surveys, surveys
from comptoir.engagement.mail_surveys import SurveyFacts
from comptoir.engagement.schemas import SurveyAnswerOut

pages = Pages(__package__ or "comptoir.engagement")
router = APIRouter(prefix="/pages/engagement", include_in_schema=False)
PUBLIC = Actor(key_id=None, channel="web", scopes=frozenset())
TEMPLATE = "engagement/survey.html"


def _invalid() -> NotFound:
    return NotFound("This survey link is not valid.", slug="survey-link-invalid")


def _claims(request: Request, token: str) -> tuple[str, int | None]:
    found = surveys.read_token(app_state(request).settings, token)
    if found is None:
        raise _invalid()
    return found


def _page(
    request: Request,
    token: str,
    found: surveys.Found,
    facts: SurveyFacts | None,
    *,
    touchpoint: str,
    chosen: int | None,
    answer: SurveyAnswerOut | None,
    done: bool = False,
    notice: str = "",
    error: str = "",
    comment: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    lang = page_language(request)
    t = translations(__package__ or "comptoir.engagement", lang)
    shown = facts or SurveyFacts(kind=found.kind, touchpoint=touchpoint, scale=(), comment_url="")
    context: dict[str, Any] = {
        "token": token,
        "kind": found.kind,
        "heading": t.gettext("Would you recommend us?")
        if found.kind == "nps"
        else t.gettext("How did it go?"),
        "intro": mail_surveys.intro(t, shown, lang) if facts else "",
        "question": mail_surveys.question(t, shown),
        "labels": mail_surveys.score_labels(t, found.kind),
        "ends": mail_surveys.ends(t, found.kind),
        "chosen": chosen,
        "comment": comment if comment is not None else (answer.comment if answer else ""),
        "answer": answer,
        "done": done,
        "notice": notice,
        "error": error,
    }
    return pages.response(request, TEMPLATE, status_code=status_code, **context)


def _notice(request: Request, clicked: int, answer: SurveyAnswerOut, labels: dict[int, str]) -> str:
    _ = translations(__package__ or "comptoir.engagement", page_language(request)).gettext
    if answer.state == "confirmed" and answer.score != clicked:
        return _("You had answered %(before)s. Send the form to change it to %(after)s.") % {
            "before": labels[answer.score],
            "after": labels[clicked],
        }
    return _("Thank you! We have noted %(score)s. Confirm it, change it or tell us more below.") % {
        "score": labels[clicked]
    }


@router.get("/surveys/{token}", response_class=HTMLResponse)
def survey_form(request: Request, token: str, _: Public) -> HTMLResponse:
    message_id, score = _claims(request, token)
    state = app_state(request)
    lang = page_language(request)
    with UnitOfWork(state.db, PUBLIC) as uow:
        found = surveys.survey_message(uow, message_id, lock=score is not None)
        if found is None:
            raise _invalid()
        answer = surveys.click(uow, found, score) if score is not None else surveys.answer_to(uow, found)
        facts = facts_surveys.survey_facts(uow, state.settings, message_id, lang)
        touchpoint = surveys.where_of(uow, found.instance).touchpoint
        uow.commit()
    notice = ""
    if score is not None and answer is not None:
        t = translations(__package__ or "comptoir.engagement", lang)
        notice = _notice(request, score, answer, mail_surveys.score_labels(t, found.kind))
    chosen = score if score is not None else (answer.score if answer else None)
    return _page(
        request, token, found, facts, touchpoint=touchpoint, chosen=chosen, answer=answer, notice=notice
    )


def _score(raw: str | None) -> int | None:
    try:
        return int(raw) if raw is not None and raw.strip() else None
    except ValueError:
        return None


@router.post("/surveys/{token}", response_class=HTMLResponse)
def survey_answer(
    request: Request,
    token: str,
    _: Public,
    score: Annotated[str | None, Form(max_length=4)] = None,
    comment: Annotated[str, Form(max_length=20000)] = "",
) -> HTMLResponse:
    message_id, _clicked = _claims(request, token)
    state = app_state(request)
    lang = page_language(request)
    t = translations(__package__ or "comptoir.engagement", lang)
    chosen = _score(score)
    with UnitOfWork(state.db, PUBLIC) as uow:
        found = surveys.survey_message(uow, message_id, lock=True)
        if found is None:
            raise _invalid()
        facts = facts_surveys.survey_facts(uow, state.settings, message_id, lang)
        touchpoint = surveys.where_of(uow, found.instance).touchpoint
        answer, error = None, ""
        try:
            if chosen is None:
                raise InvalidInput("Choose a score.", field="score")
            answer = surveys.confirm(uow, found, chosen, comment)
            uow.commit()
        except InvalidInput as exc:
            error = _error(t, exc)
    if answer is None:
        return _page(
            request,
            token,
            found,
            facts,
            touchpoint=touchpoint,
            chosen=chosen,
            answer=None,
            error=error,
            comment=comment,
            status_code=422,
        )
    return _page(
        request, token, found, facts, touchpoint=touchpoint, chosen=answer.score, answer=answer, done=True
    )


def _error(t: NullTranslations, exc: InvalidInput) -> str:
    """What the customer reads when the form cannot be saved (the problem names the field)."""
    if any(str(e.get("pointer", "")).endswith("/comment") for e in exc.errors):
        return str(t.gettext("Your comment is too long: 2,000 characters at most."))
    return str(t.gettext("Choose a score, then send your answer."))
