"""The JSON API's declared types: what a request may contain and what an answer contains.

One declaration does three jobs: pydantic checks each request against it (strictly: no
coercion, so ``"1"``, ``1.0`` and ``true`` are not ids, and no field that is not declared),
django-ninja publishes it in the OpenAPI document, and every answer is validated against it
on the way out, so a field that is not declared (an email address, a moderation status) can
never be sent by mistake.

A refused value is reported to the reader the way the comment form reports it: one message
per field, in the reader's language. The types carry their messages (``_refused``); the
request as a whole (its size, media type and JSON) is checked before these types are
reached, by ``api_json``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    WrapValidator,
)
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

from dateline.discussion import models, strings, targets, threads
from dateline.discussion.models import DiscussionSettings

MAX_ID = 2**63 - 1
MAX_FIELD_LENGTH = 1000  # guest fields, honeypot; the actions give the precise limits
MAX_TITLE_LENGTH = 1000
MAX_TOKEN_LENGTH = 500
MAX_THREAD_ID_LENGTH = 200
MAX_ORIGIN_LENGTH = 300

NOT_A_FIELD = _("This field is not part of the API.")
SAY_WHICH = _("Say which discussion: a story id, a page address or a discussion id.")
WRITE_A_COMMENT = _("Please write a comment.")
# What a missing required field is told (a missing field has no value for its type to judge);
# any other, Django's own "This field is required."
WHEN_MISSING = {"thread": SAY_WHICH, "body": WRITE_A_COMMENT}


# Request field types ---------------------------------------------------------------------


def _refusal(message: str | Promise) -> PydanticCustomError:
    # Translated now, while the request's language is active.
    return PydanticCustomError("refused", "{message}", {"message": str(message)})


def _refused(
    message: str | Promise, *, when: Mapping[str, str | Promise] | None = None
) -> WrapValidator:
    """Report any fault of the value itself with ``message`` (or, by pydantic error type, one of
    ``when``), in the reader's language. Faults inside it (a field of a nested object) keep
    their own messages."""

    def validate(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except ValidationError as error:
            faults = [fault for fault in error.errors() if not fault["loc"]]
            if not faults:
                raise
            raise _refusal((when or {}).get(faults[0]["type"], message)) from None

    return WrapValidator(validate)


def _none_as_empty(value: Any) -> Any:
    # Clients have always been allowed to send null for a text field they leave empty.
    return "" if value is None else value


_STRING = _refused(_("This must be a string."), when={"string_too_long": _("This is too long.")})
_NULL_IS_EMPTY = BeforeValidator(_none_as_empty)


def _text(max_length: int | None = None, **schema: Any) -> Any:
    return Field(strict=True, max_length=max_length, json_schema_extra=schema or None)


# Text fields, by how long they may be (null reads as ""). The actions apply the precise rules.
BodyText = Annotated[str, _text(), _STRING, _NULL_IS_EMPTY]
FieldText = Annotated[str, _text(MAX_FIELD_LENGTH), _STRING, _NULL_IS_EMPTY]
TitleText = Annotated[str, _text(MAX_TITLE_LENGTH), _STRING, _NULL_IS_EMPTY]
TokenText = Annotated[str, _text(MAX_TOKEN_LENGTH), _STRING, _NULL_IS_EMPTY]
ThreadIdText = Annotated[str, _text(MAX_THREAD_ID_LENGTH), _STRING, _NULL_IS_EMPTY]
OriginText = Annotated[str, _text(MAX_ORIGIN_LENGTH), _STRING, _NULL_IS_EMPTY]
PageAddress = Annotated[
    str, _text(targets.MAX_PAGE_URL_LENGTH, format="uri"), _STRING, _NULL_IS_EMPTY
]

# Strict: true (a bool is an int in Python), 1.0 and "1" are not ids. The bounds keep ids a
# database can hold.
Id = Annotated[
    int,
    Field(strict=True, ge=1, le=MAX_ID),
    _refused(_("This must be a positive whole number.")),
]


def _story_id_text(value: Any) -> int | None:
    # A query string is text: ASCII digits only (str.isdigit() also takes "１２" and "²"),
    # no sign, no spaces, no underscores, and short enough to be a database id. 0 or empty
    # names no story.
    if value is None or value == "":
        return None
    if not (isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 18):
        raise _refusal(_("This must be a story id."))
    return int(value) or None


StoryIdParam = Annotated[
    int | None,
    BeforeValidator(_story_id_text),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_ID}),
]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ThreadRef(_Request):
    """A story of this site (article), or a page of an allowed site: by its address (url) or by
    an id the site chose (id). Cross-origin callers are identified by their Origin header;
    other callers may name the origin."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [{"required": ["article"]}, {"required": ["url"]}, {"required": ["id"]}]
        }
    )

    article: Id | None = None
    url: PageAddress = ""
    id: ThreadIdText = ""
    title: TitleText = ""
    origin: OriginText = ""


class NewComment(_Request):
    thread: Annotated[ThreadRef, _refused(SAY_WHICH)]
    parent: Id | None = None
    body: BodyText = Field(description="Markdown subset; length per settings.")
    name: FieldText = ""
    email: FieldText = Field("", description="Never shown.")
    website: FieldText = ""
    honeypot: FieldText = Field("", description="Leave empty.")
    form_token: TokenText = ""
    guest_token: TokenText = Field(
        "",
        description="The guest_token this client was given with its last comment: proves a "
        "guest is the one who wrote under this email before (their trust and stored name "
        "follow it, never the email alone).",
    )


class CommentEdit(_Request):
    body: BodyText
    edit_token: TokenText = ""


class CommentDelete(_Request):
    edit_token: TokenText = ""


class ThreadQuery(BaseModel):
    """Which thread, and which page of it (GET threads/)."""

    article: StoryIdParam = None
    url: PageAddress = ""
    id: ThreadIdText = ""
    origin: OriginText = ""
    cursor: str = ""


class PageQuery(BaseModel):
    cursor: str = ""


def field_errors(faults: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """pydantic's findings as ``{field: message}``: the innermost field named (a thread's
    ``article`` is ``article``, as the form would name it), an unknown field by its own name."""
    errors: dict[str, str] = {}
    for fault in faults:
        # ninja's locations start with where the value came from ("body", "query", "path")
        # and, for a body, the handler's parameter.
        location = [part for part in fault["loc"][1:] if isinstance(part, str)]
        if fault["loc"][:1] == ("body",):
            location = location[1:]
        field = location[-1] if location else "__all__"
        if fault["type"] == "extra_forbidden":
            message: str | Promise = NOT_A_FIELD
        elif fault["type"] == "missing":
            message = WHEN_MISSING.get(field, forms.Field.default_error_messages["required"])
        else:
            message = fault["msg"]
        errors.setdefault(field, str(message))
    return errors


# Answers ---------------------------------------------------------------------------------


# Written once, when a thread's comments are put in the fragment cache (isoformat(), with
# the offset), not parsed and written again for every answer.
DateTime = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
WebAddress = Annotated[str, Field(json_schema_extra={"format": "uri"})]


class _Answer(BaseModel):
    # An answer carries exactly what is declared: anything else is a bug, refused on the way
    # out rather than sent.
    model_config = ConfigDict(extra="forbid")


class Author(_Answer):
    name: str = Field(description="Empty for a removed comment.")
    website: WebAddress | None


class Comment(_Answer):
    """An approved comment, or (removed: true) a placeholder for one that is not shown but has
    approved replies below it: no author, no text."""

    id: int = Field(ge=1)
    parent: Annotated[int, Field(ge=1)] | None
    depth: int = Field(ge=0)
    author: Author
    html: str = Field(
        description=(
            "Sanitised on the server (p, br, em, strong, a[href], blockquote, code, pre, ul, "
            "ol, li; http, https and mailto links only)."
        )
    )
    created: DateTime
    edited: DateTime | None
    removed: bool
    useful: int = Field(ge=0, description="How many readers marked it as useful.")
    replies: list[Comment]
    # Only on a top-level comment whose replies are not all included; never null.
    more_replies: Annotated[int, Field(ge=1)] | SkipJsonSchema[None] = Field(
        default=None,
        description=(
            "Only on a top-level comment whose replies are not all included (a page shows the "
            f"first {threads.REPLIES_SHOWN} under each): how many approved replies are left."
        ),
    )
    replies_next: str | SkipJsonSchema[None] = Field(
        default=None,
        description="With more_replies: the cursor for GET comments/{id}/replies/.",
    )


class Thread(_Answer):
    key: str
    count: int = Field(ge=0, description="Approved comments.")
    open: bool = Field(description="Whether new comments are accepted.")
    heading: str = Field(description="The form's heading.")
    order: Literal["oldest", "newest", "useful"]
    max_depth: int = Field(ge=1)
    max_length: int = Field(ge=1)


class ThreadPage(_Answer):
    thread: Thread
    comments: list[Comment]
    next: str | None = Field(description="Cursor of the next page.")
    previous: str | None = Field(description="Cursor of the previous page.")
    form_token: str = Field(
        description="Send back as form_token when posting (when the form was shown)."
    )


class ReplyPage(_Answer):
    comments: list[Comment] = Field(
        description=(
            "In the order they were written; each under its parent when the parent is on this "
            "page, else at the top of the list (see parent and depth)."
        )
    )
    next: str | None = Field(description="Cursor of the next page.")
    more: int = Field(ge=0, description="Approved replies after it.")


class PostedComment(_Answer):
    """The poster's own comment, as only they see it (also while it is held). Spam is reported
    as pending."""

    status: Literal["approved", "pending"]
    comment: Comment
    edit_token: str | SkipJsonSchema[None] = Field(
        default=None,
        description="Lets the poster edit or delete the comment within the window.",
    )
    edit_window_minutes: Annotated[int, Field(ge=0)] | SkipJsonSchema[None] = None
    message: str | SkipJsonSchema[None] = None
    guest_token: str | SkipJsonSchema[None] = Field(
        default=None,
        description="A guest's proof of who they are: keep it and send it with the next comment.",
    )


class Error(_Answer):
    """Messages for the reader, keyed by request field (body, name, email, website, parent,
    thread, url, id, origin, cursor, …) or __all__ for the request as a whole."""

    errors: dict[str, str] = Field(min_length=1)
    retry_after: Annotated[int, Field(ge=1)] | SkipJsonSchema[None] = Field(
        default=None,
        description="Seconds to wait (429 only; also in the Retry-After header).",
    )


# Filling the answers from the models ---------------------------------------------------------


def thread_json(thread: models.Thread, policy: DiscussionSettings) -> dict[str, Any]:
    return {
        "key": thread.key,
        "count": thread.approved_count,
        "open": targets.comments_open(thread=thread, policy=policy),
        "heading": policy.heading or strings.word("heading"),
        "order": policy.order,
        "max_depth": policy.max_depth,
        "max_length": policy.max_length,
    }


def errors(*codes: int) -> dict[int, type[Error]]:
    """The error answers an operation documents, for its ``response=``."""
    return dict.fromkeys(codes, Error)


# What the schema endpoint answers: the OpenAPI document, as ninja builds it.
OpenAPIDocument = dict[str, Any]
