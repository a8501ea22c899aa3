"""Template tags for the discussion: thin hand-overs to ``discussion.rendering``, which reads
and renders."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from dateline.discussion import reasons, rendering
from dateline.discussion.forms import CommentForm
from dateline.newsroom.models import DEFAULT_DATETIME_FORMAT, ArticlePage

register = template.Library()


@register.inclusion_tag("discussion/thread.html", takes_context=True)
def discussion_for(context: template.Context, article: ArticlePage) -> dict[str, Any]:
    request = context.get("request")
    # Previews of unsaved or draft pages have no discussion to show, and nothing to post to.
    if request is None or article.pk is None or getattr(request, "is_preview", False):
        return {"show": False}
    data = rendering.discussion_context(
        article=article,
        request=request,
        form=context.get("discussion_form"),
        error_status=context.get("discussion_error_status"),
    )
    data["show"] = True
    data["request"] = request
    # A POST that came back with errors shows the form again with a token (that response is
    # never cached); the cacheable GET carries none.
    data["include_csrf"] = context.get("discussion_form") is not None
    if data["include_csrf"]:
        data["csrf_token"] = context.get("csrf_token")
    return data


@register.simple_tag(takes_context=True)
def comment_form(context: template.Context) -> SafeString:
    return rendering.comment_form_html(context)


@register.simple_tag(takes_context=True)
def comment_tree(context: template.Context) -> SafeString:
    return mark_safe(context["comments_html"])  # noqa: S308 - built by render_comments


@register.filter
def comment_count(article: ArticlePage) -> int:
    """Approved comments on a story, from the thread row ``for_listing()`` joins in (no query
    per card). A story nobody has commented on has no thread yet: 0."""
    thread = getattr(article, "discussion_thread", None)
    return thread.approved_count if thread is not None else 0


@register.filter
def comments_label(count: int) -> str:
    return rendering.comment_count_text(count)


@register.filter
def field_errors(form: CommentForm, name: str) -> list[str]:
    if not form.is_bound:
        return []
    return [str(message) for message in form.errors.get(name, [])]


@register.filter
def field_value(form: CommentForm, name: str) -> str:
    value = form[name].value()
    return "" if value is None else str(value)


@register.filter
def moderation_reason(item: object) -> str:
    """A recorded reason in the reader's language (dateline.discussion.reasons)."""
    return reasons.describe(item)


@register.simple_tag
def comment_time(value: Any, fmt: str = DEFAULT_DATETIME_FORMAT) -> SafeString:
    return rendering.comment_time(value, fmt)
