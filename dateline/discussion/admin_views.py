"""The moderators' side of the discussion in the Wagtail admin: the queue of comments (filter,
approve, mark as spam, trash, hold again, edit, ban the author) and the list of bans.

Views only choose querysets and call ``discussion.actions``; every change of status goes
through ``actions.set_status`` so counters and spam-service reports stay right. Access needs
``discussion.change_comment`` (the "Comment moderators" group has it) or a superuser; anyone
else who reaches these pages gets a 403, because comment authors' email and IP addresses live
here.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from functools import wraps
from typing import Any

import django_filters
from django import forms
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, PermissionsMixin, User
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from django.views.generic import FormView
from wagtail.admin import messages
from wagtail.admin.active_filters import ActiveFilter
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms.choosers import BaseFilterForm
from wagtail.admin.panels import FieldPanel
from wagtail.admin.ui.tables import BaseColumn, Column, DateColumn, Table
from wagtail.admin.utils import get_valid_next_url_from_request
from wagtail.admin.views import generic
from wagtail.admin.views.generic import chooser as chooser_views
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.chooser import ChooserViewSet
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import HeaderButton
from wagtail.permission_policies import ModelPermissionPolicy

from dateline.discussion import actions
from dateline.discussion.models import (
    Ban,
    Comment,
    Commenter,
    DiscussionSettings,
    Mention,
    Report,
    Thread,
)
from dateline.server.requeststate import Slot

MODERATE_PERMISSION = "discussion.change_comment"
QUEUE_URL_NAME = "discussion_comments:index"
STATUS_ALL = "all"

# What a moderator's button says -> the status it sets. The same words are used in the POST,
# so a form, a test or a script reads the same.
ACTIONS: dict[str, str] = {
    "approve": Comment.Status.APPROVED,
    "spam": Comment.Status.SPAM,
    "trash": Comment.Status.TRASH,
    "pending": Comment.Status.PENDING,
}


# Access -----------------------------------------------------------------------------------


def can_moderate(user: AbstractBaseUser | AnonymousUser) -> bool:
    if not (user.is_authenticated and user.is_active and isinstance(user, PermissionsMixin)):
        return False
    return user.is_superuser or user.has_perm(MODERATE_PERMISSION)


def forbidden(request: HttpRequest) -> HttpResponse:
    # A real 403 rather than Wagtail's usual redirect-with-message: these pages hold readers'
    # personal data, and an honest status is what monitoring and tests can see.
    return TemplateResponse(request, "discussion/admin/forbidden.html", {}, status=403)


def moderator_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Wagtail has already checked that the user may use the admin; this checks they may
    moderate comments."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not can_moderate(request.user):
            return forbidden(request)
        return view(request, *args, **kwargs)

    return wrapped


WAITING_COUNT = Slot[int](
    "comments waiting for moderation",
    doc=(
        "How many comments wait for a moderator, counted by the first caller of waiting_count "
        "(the admin menu's badge and the queue both ask)."
    ),
)


def waiting_count(request: HttpRequest) -> int:
    """Comments waiting for a moderator: one COUNT over the (status, created_at) index, so the
    menu can show it on every admin page; counted once per request however often it is asked."""
    return WAITING_COUNT.get_or_set(request, lambda: Comment.objects.awaiting_moderation().count())


def _moderator(request: HttpRequest) -> User | None:
    user = request.user
    return user if isinstance(user, User) else None


def _policy(request: HttpRequest) -> DiscussionSettings:
    return DiscussionSettings.for_request(request)


# The queue --------------------------------------------------------------------------------


class CommentFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Status"),
        choices=[*Comment.Status.choices, (STATUS_ALL, gettext_lazy("All"))],
        empty_label=None,
        initial=Comment.Status.PENDING,
        widget=forms.RadioSelect,
        method="filter_status",
    )
    author = django_filters.CharFilter(
        label=gettext_lazy("Author (name or email)"), method="filter_author"
    )
    story = django_filters.CharFilter(
        label=gettext_lazy("Story (title or address)"), method="filter_story"
    )
    ip = django_filters.CharFilter(
        label=gettext_lazy("IP address (or its beginning)"), method="filter_ip"
    )

    class Meta:
        model = Comment
        fields: list[str] = []

    def filter_status(self, queryset: QuerySet[Comment], name: str, value: str) -> Any:
        if value == STATUS_ALL:
            return queryset
        return queryset.filter(status=value)

    def filter_author(self, queryset: QuerySet[Comment], name: str, value: str) -> Any:
        value = value.strip()
        return queryset.filter(
            Q(author_name__icontains=value)
            | Q(commenter__display_name__icontains=value)
            | Q(commenter__email__icontains=value)
        )

    def filter_story(self, queryset: QuerySet[Comment], name: str, value: str) -> Any:
        value = value.strip()
        return queryset.filter(Q(thread__title__icontains=value) | Q(thread__url__icontains=value))

    def filter_ip(self, queryset: QuerySet[Comment], name: str, value: str) -> Any:
        return queryset.filter(ip_address__startswith=value.strip())


class QueueTable(Table):
    """Wagtail's table, carrying what the row buttons need to send the moderator back here."""

    def __init__(self, *args: Any, next_url: str, can_ban: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.next_url = next_url
        self.can_ban = can_ban


class SelectColumn(BaseColumn):
    header_template_name = "discussion/admin/cells/select_header.html"
    cell_template_name = "discussion/admin/cells/select.html"


class QueueColumn(Column):
    """A cell rendered by one of our templates, with the row's comment and the queue's URL."""

    def __init__(self, name: str, *, template: str, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        self.cell_template_name = template

    def get_cell_context_data(self, instance: Comment, parent_context: Any) -> dict[str, Any]:
        context = super().get_cell_context_data(instance, parent_context)
        table = parent_context["table"]
        context.update(
            comment=instance,
            next_url=table.next_url,
            can_ban=table.can_ban,
            actions=[
                (name, label) for name, label in ACTION_LABELS if ACTIONS[name] != instance.status
            ]
            + ([DELETE_LABEL] if instance.status in actions.FORGETTABLE else [])
            + ([DISMISS_LABEL] if getattr(instance, "open_reports", None) else []),
            reports=_report_summary(getattr(instance, "open_reports", [])),
        )
        return context


ACTION_LABELS = [
    ("approve", gettext_lazy("Approve")),
    ("spam", gettext_lazy("Spam")),
    ("trash", gettext_lazy("Trash")),
    ("pending", gettext_lazy("Back to pending")),
]
# Not a status: spam and trashed comments only, gone for good (actions.delete_permanently).
DELETE = "delete"
DELETE_LABEL = (DELETE, gettext_lazy("Delete permanently"))
# Not a status either: the open reports on a comment stop counting.
DISMISS = "dismiss"
DISMISS_LABEL = (DISMISS, gettext_lazy("Dismiss reports"))


def _report_summary(reports: list[Report]) -> list[dict[str, Any]]:
    """Each reason with how many readers gave it, and their notes — never who they were."""
    by_reason: dict[str, dict[str, Any]] = {}
    for report in reports:
        entry = by_reason.setdefault(
            report.reason, {"reason": report.get_reason_display(), "count": 0, "notes": []}
        )
        entry["count"] += 1
        if report.note:
            entry["notes"].append(report.note)
    return list(by_reason.values())


class CommentQueueView(generic.IndexView):
    """The moderation queue: newest first, waiting comments unless another status is asked
    for; also filtered by story (``thread``), by commenter (``commenter``), by author, by IP
    and by a search over the text, the name and the email."""

    model = Comment
    filterset_class = CommentFilterSet
    template_name = "discussion/admin/queue.html"
    results_template_name = "discussion/admin/queue_results.html"
    index_url_name = QUEUE_URL_NAME
    index_results_url_name = "discussion_comments:index_results"
    header_icon = "comment"
    page_title = gettext_lazy("Comments")
    permission_required = "change"
    any_permission_required = None
    paginate_by = 25
    default_ordering = "-created_at"
    search_fields = ["body", "author_name", "commenter__email"]
    search_backend_name = None
    table_class = QueueTable

    def get_base_queryset(self) -> QuerySet[Comment]:
        # Open reports come with the page in one more query, whatever its size.
        return (
            Comment.objects.select_related("thread", "commenter", "moderated_by")
            .defer("user_agent", "content_hash")
            .prefetch_related(
                Prefetch(
                    "reports",
                    queryset=Report.objects.filter(dismissed_at=None).order_by("created_at"),
                    to_attr="open_reports",
                )
            )
        )

    def get_filterset_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = super().get_filterset_kwargs()
        data = self.request.GET.copy()
        # The queue opens on what needs a person: the waiting comments.
        data.setdefault("status", Comment.Status.PENDING)
        kwargs["data"] = data
        return kwargs

    @cached_property
    def thread(self) -> Thread | None:
        return self._lookup(Thread, "thread")

    @cached_property
    def commenter(self) -> Commenter | None:
        return self._lookup(Commenter, "commenter")

    def _lookup(self, model: type[Any], param: str) -> Any:
        raw = self.request.GET.get(param, "")
        if not raw.isdigit():
            return None
        return model.objects.filter(pk=int(raw)).first()

    def filter_queryset(self, queryset: QuerySet[Comment]) -> QuerySet[Comment]:
        queryset = super().filter_queryset(queryset)
        if self.request.GET.get("thread"):
            queryset = queryset.filter(thread=self.thread) if self.thread else queryset.none()
        if self.request.GET.get("commenter"):
            queryset = (
                queryset.filter(commenter=self.commenter) if self.commenter else queryset.none()
            )
        return queryset

    def order_queryset(self, queryset: QuerySet[Comment]) -> QuerySet[Comment]:
        # The id breaks ties between comments posted in the same microsecond, so pages never
        # repeat or skip a comment.
        ordering = self.ordering or self.default_ordering
        tie = "-pk" if ordering.startswith("-") else "pk"
        return queryset.order_by(ordering, tie)

    @cached_property
    def is_filtering(self) -> bool:
        return bool(super().is_filtering or self.thread or self.commenter)

    @cached_property
    def active_filters(self) -> list[ActiveFilter]:
        found = list(super().active_filters)
        for param, label, value in (
            ("thread", _("Story"), self.thread),
            ("commenter", _("Commenter"), self.commenter),
        ):
            if value is not None:
                found.append(
                    ActiveFilter(
                        f"id_{param}",
                        label,
                        value.display_name if isinstance(value, Commenter) else str(value),
                        self._url_without(param),
                    )
                )
        return found

    def _url_without(self, param: str) -> str:
        query = self.request.GET.copy()
        query.pop(param, None)
        query.pop(self.page_kwarg, None)
        query["_w_filter_fragment"] = "1"
        return f"{self.index_results_url}?{query.urlencode()}"

    @cached_property
    def columns(self) -> list[BaseColumn]:
        return [
            SelectColumn("select", label=_("Select"), width="1%"),
            QueueColumn(
                "comment",
                label=_("Comment"),
                template="discussion/admin/cells/comment.html",
                width="40%",
            ),
            QueueColumn(
                "author",
                label=_("Author"),
                template="discussion/admin/cells/author.html",
                classname="dl-author-col",
            ),
            QueueColumn("story", label=_("Story"), template="discussion/admin/cells/story.html"),
            QueueColumn(
                "status",
                label=_("Status and spam score"),
                template="discussion/admin/cells/status.html",
                sort_key="spam_score",
            ),
            DateColumn("created_at", label=_("Posted"), sort_key="created_at"),
        ]

    def get_valid_orderings(self) -> list[str]:
        return ["created_at", "-created_at", "spam_score", "-spam_score"]

    @cached_property
    def next_url(self) -> str:
        query = self.request.GET.copy()
        query.pop("_w_filter_fragment", None)
        return f"{self.index_url}?{query.urlencode()}" if query else self.index_url

    def get_table(self, object_list: Any) -> QueueTable:
        return self.table_class(
            self.columns,
            object_list,
            next_url=self.next_url,
            can_ban=bool(self.request.user.has_perm("discussion.add_ban")),
            **self.get_table_kwargs(),
        )

    @cached_property
    def header_buttons(self) -> list[HeaderButton]:
        return [
            HeaderButton(_("Bans"), url=reverse("discussion_bans:index"), icon_name="cross"),
        ]

    def get_context_data(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(*args, **kwargs)
        status = self.filters.form.cleaned_data.get("status") if self.filters.is_valid() else ""
        context.update(
            current_status=status or Comment.Status.PENDING,
            status_tabs=[
                (Comment.Status.PENDING, _("Waiting")),
                (Comment.Status.APPROVED, _("Approved")),
                (Comment.Status.SPAM, _("Spam")),
                (Comment.Status.TRASH, _("Trash")),
                (STATUS_ALL, _("All")),
            ],
            waiting=waiting_count(self.request),
            moderate_url=reverse("discussion_comments:moderate"),
            bulk_actions=ACTION_LABELS + ([DELETE_LABEL] if status in actions.FORGETTABLE else []),
            next_url=self.next_url,
        )
        return context


@require_POST
@moderator_required
def moderate(request: HttpRequest) -> HttpResponse:
    """Change the status of one comment (a row's button: ``row=approve:123``) or of the ticked
    ones (``action=approve`` with ``comment=…`` for each)."""
    next_url = get_valid_next_url_from_request(request) or reverse(QUEUE_URL_NAME)
    row = request.POST.get("row", "")
    if row:
        name, _sep, raw_id = row.partition(":")
        ids = [raw_id]
    else:
        name = request.POST.get("action", "")
        ids = request.POST.getlist("comment")
    if name not in ACTIONS and name not in (DELETE, DISMISS):
        messages.error(request, _("Choose what to do with the comments."))
        return HttpResponseRedirect(next_url)
    pks = [int(raw) for raw in ids if raw.isdigit()]
    if not pks:
        messages.warning(request, _("Tick at least one comment first."))
        return HttpResponseRedirect(next_url)
    if name == DELETE:
        return _delete_permanently(request, pks, next_url)
    if name == DISMISS:
        dismissed = actions.dismiss_reports(comments=pks)
        messages.success(
            request,
            ngettext("%(count)d report dismissed.", "%(count)d reports dismissed.", dismissed)
            % {"count": dismissed},
        )
        return HttpResponseRedirect(next_url)
    comments = list(Comment.objects.filter(pk__in=pks))
    changed = actions.set_status(
        comments=comments, status=ACTIONS[name], moderator=_moderator(request)
    )
    messages.success(request, _status_message(name, changed))
    return HttpResponseRedirect(next_url)


def _delete_permanently(request: HttpRequest, pks: list[int], next_url: str) -> HttpResponse:
    if not request.user.has_perm("discussion.delete_comment"):
        return forbidden(request)
    deleted, emptied = actions.delete_permanently(comments=pks)
    skipped = len(pks) - deleted - emptied
    messages.success(
        request,
        ngettext(
            "%(count)d comment deleted permanently.",
            "%(count)d comments deleted permanently.",
            deleted,
        )
        % {"count": deleted},
    )
    if emptied:
        messages.info(
            request,
            ngettext(
                "%(count)d comment has replies: its text, name and address were removed, and "
                "the replies keep their place.",
                "%(count)d comments have replies: their text, names and addresses were "
                "removed, and the replies keep their place.",
                emptied,
            )
            % {"count": emptied},
        )
    if skipped:
        messages.warning(
            request,
            ngettext(
                "%(count)d comment was not deleted: only spam and trashed comments can be.",
                "%(count)d comments were not deleted: only spam and trashed comments can be.",
                skipped,
            )
            % {"count": skipped},
        )
    return HttpResponseRedirect(next_url)


def _status_message(name: str, count: int) -> str:
    if name == "approve":
        text = ngettext("%(count)d comment approved.", "%(count)d comments approved.", count)
    elif name == "spam":
        text = ngettext(
            "%(count)d comment marked as spam.", "%(count)d comments marked as spam.", count
        )
    elif name == "trash":
        text = ngettext(
            "%(count)d comment moved to the trash.", "%(count)d comments moved to the trash.", count
        )
    else:
        text = ngettext(
            "%(count)d comment is waiting for moderation again.",
            "%(count)d comments are waiting for moderation again.",
            count,
        )
    return text % {"count": count}


# One comment ------------------------------------------------------------------------------


class CommentEditForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Comment"),
        widget=forms.Textarea(attrs={"rows": 10, "dir": "auto"}),
        help_text=gettext_lazy(
            "The reader's text, in the small Markdown subset comments use. It is checked and "
            "cleaned again when you save."
        ),
    )


class CommentViewMixin(WagtailAdminTemplateMixin):
    """A page about one comment, reached from the queue."""

    header_icon = "comment"
    request: HttpRequest
    kwargs: dict[str, Any]

    @cached_property
    def comment(self) -> Comment:
        return get_object_or_404(
            Comment.objects.select_related("thread", "commenter"), pk=self.kwargs["pk"]
        )

    @cached_property
    def next_url(self) -> str:
        return get_valid_next_url_from_request(self.request) or reverse(QUEUE_URL_NAME)

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [
            *self.breadcrumbs_items,
            {"url": self.next_url, "label": _("Comments")},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        context.update(comment=self.comment, next_url=self.next_url)
        return context


class CommentEditView(CommentViewMixin, FormView):
    template_name = "discussion/admin/edit.html"
    form_class = CommentEditForm
    header_icon = "edit"

    def get_page_title(self) -> str:
        return _("Edit comment by %(name)s") % {"name": self.comment.author_name}

    def get_initial(self) -> dict[str, Any]:
        return {"body": self.comment.body}

    def form_valid(self, form: CommentEditForm) -> HttpResponse:
        try:
            actions.edit_by_moderator(
                comment=self.comment,
                body=form.cleaned_data["body"],
                policy=_policy(self.request),
                moderator=_moderator(self.request),
            )
        except actions.CommentError as error:
            for message in error.errors.values():
                form.add_error("body", message)
            return self.form_invalid(form)
        messages.success(self.request, _("Comment saved."))
        return HttpResponseRedirect(self.next_url)


class BanAuthorForm(forms.Form):
    DURATIONS = [
        ("", gettext_lazy("Until the ban is removed")),
        ("1", gettext_lazy("1 day")),
        ("7", gettext_lazy("1 week")),
        ("30", gettext_lazy("30 days")),
        ("365", gettext_lazy("1 year")),
    ]

    by = forms.ChoiceField(label=gettext_lazy("Ban by"), widget=forms.RadioSelect)
    ip_range = forms.CharField(
        label=gettext_lazy("IP address or range"),
        required=False,
        help_text=gettext_lazy(
            "Used when banning by IP: this address, or a range such as 203.0.113.0/24. "
            "Ranges can shut out many innocent readers; keep them narrow and short."
        ),
    )
    reason = forms.CharField(label=gettext_lazy("Reason (for moderators)"), required=False)
    duration = forms.ChoiceField(
        label=gettext_lazy("For how long"), choices=DURATIONS, required=False
    )
    mark_spam = forms.BooleanField(
        label=gettext_lazy("Also mark this comment as spam"), required=False, initial=True
    )

    def __init__(self, *args: Any, comment: Comment, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        commenter = comment.commenter
        choices: list[tuple[str, str]] = []
        if commenter.email:
            choices.append(
                (Ban.Kind.EMAIL, _("Email address: %(email)s") % {"email": commenter.email})
            )
        if comment.ip_address:
            choices.append((Ban.Kind.IP, _("IP address or range (below)")))
        choices.append(
            (
                Ban.Kind.COMMENTER,
                _("This commenter identity: %(who)s") % {"who": commenter.display_name},
            )
        )
        by_field = self.fields["by"]
        assert isinstance(by_field, forms.ChoiceField)
        by_field.choices = choices
        self.initial.setdefault("by", choices[0][0])
        self.initial.setdefault("ip_range", comment.ip_address or "")

    def expires_at(self) -> datetime.datetime | None:
        days = self.cleaned_data.get("duration")
        return timezone.now() + datetime.timedelta(days=int(days)) if days else None


class BanAuthorView(CommentViewMixin, FormView):
    template_name = "discussion/admin/ban_author.html"
    form_class = BanAuthorForm
    header_icon = "cross"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.has_perm("discussion.add_ban"):
            return forbidden(request)
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self) -> str:
        return _("Ban %(name)s") % {"name": self.comment.author_name}

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = super().get_form_kwargs()
        kwargs["comment"] = self.comment
        return kwargs

    def form_valid(self, form: BanAuthorForm) -> HttpResponse:
        comment = self.comment
        kind = form.cleaned_data["by"]
        value = {
            Ban.Kind.EMAIL: comment.commenter.email,
            Ban.Kind.IP: form.cleaned_data["ip_range"],
            Ban.Kind.COMMENTER: "",
        }[kind]
        try:
            entry = actions.ban(
                kind=kind,
                value=value,
                commenter=comment.commenter if kind == Ban.Kind.COMMENTER else None,
                reason=form.cleaned_data["reason"],
                expires_at=form.expires_at(),
                moderator=_moderator(self.request),
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error("ip_range" if field == "value" else None, errors)
            return self.form_invalid(form)
        if form.cleaned_data["mark_spam"]:
            actions.set_status(
                comments=[comment], status=Comment.Status.SPAM, moderator=_moderator(self.request)
            )
        messages.success(self.request, _("Banned: %(ban)s.") % {"ban": entry})
        return HttpResponseRedirect(self.next_url)


# Bans -------------------------------------------------------------------------------------


class BanIndexView(generic.IndexView):
    def get_base_queryset(self) -> QuerySet[Ban]:
        return Ban.objects.select_related("commenter").order_by("-created_at", "-pk")


class BanCreateView(generic.CreateView):
    def save_instance(self) -> Ban:
        data = self.form.cleaned_data
        return actions.ban(
            kind=data["kind"],
            value=data.get("value", ""),
            commenter=data.get("commenter"),
            reason=data.get("reason", ""),
            expires_at=data.get("expires_at"),
            moderator=_moderator(self.request),
        )


class BanViewSet(ModelViewSet):
    """Bans: list, add, change (reason, expiry) and remove. A ban refuses new comments from an
    email address, an IP address or range, or one commenter identity."""

    model = Ban
    name = "discussion_bans"
    url_prefix = "discussion/bans"
    icon = "cross"
    add_to_admin_menu = False
    copy_view_enabled = False
    index_view_class = BanIndexView
    add_view_class = BanCreateView
    # Panels (not bare form fields) so the form is Wagtail's, with the commenter chooser.
    panels = [
        FieldPanel("kind"),
        FieldPanel("value"),
        FieldPanel("commenter"),
        FieldPanel("reason"),
        FieldPanel("expires_at"),
    ]
    list_display = ["__str__", "reason", "expires_at", "created_at"]
    list_filter = ["kind"]
    search_fields = ["value", "reason", "commenter__display_name", "commenter__email"]
    search_backend_name = None

    def construct_view(
        self, view_class: type[Any], **kwargs: Any
    ) -> Callable[..., HttpResponseBase]:
        return moderator_required(super().construct_view(view_class, **kwargs))

    def get_common_view_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        # Bans belong to moderation: the way back leads to the comments, not the dashboard.
        trail = [
            {"url": reverse_lazy("wagtailadmin_home"), "label": gettext_lazy("Home")},
            {"url": reverse_lazy(QUEUE_URL_NAME), "label": gettext_lazy("Comments")},
        ]
        view_kwargs: dict[str, Any] = super().get_common_view_kwargs(
            breadcrumbs_items=trail, **kwargs
        )
        return view_kwargs


class CommenterSearchForm(BaseFilterForm):
    q = forms.CharField(
        label=gettext_lazy("Search term"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("Name or email")}),
    )

    def filter(self, objects: QuerySet[Commenter]) -> QuerySet[Commenter]:
        objects = super().filter(objects)
        query = (self.cleaned_data.get("q") or "").strip()
        if query:
            self.is_searching = True
            self.search_query = query
            objects = objects.filter(Q(display_name__icontains=query) | Q(email__icontains=query))
        return objects


class CommenterListingMixin:
    filter_form_class = CommenterSearchForm
    ordering = ["-last_seen_at", "-pk"]
    is_multiple_choice: bool

    @property
    def columns(self) -> list[BaseColumn]:
        columns: list[BaseColumn] = super().columns  # type: ignore[misc]
        columns[0].label = _("Name")
        return [
            *columns,
            Column("email", label=_("Email")),
            Column("provider", label=_("Signed in with")),
            Column("approved_comment_count", label=_("Approved comments")),
        ]


class CommenterChooseView(CommenterListingMixin, chooser_views.ChooseView):
    pass


class CommenterChooseResultsView(CommenterListingMixin, chooser_views.ChooseResultsView):
    pass


class CommenterChooserViewSet(ChooserViewSet):
    """Pick the commenter for an identity ban (the Ban form's commenter field)."""

    model = Commenter
    name = "discussion_commenter_chooser"
    icon = "user"
    choose_one_text = gettext_lazy("Choose a commenter")
    choose_another_text = gettext_lazy("Choose another commenter")
    choose_view_class = CommenterChooseView
    choose_results_view_class = CommenterChooseResultsView

    def construct_view(
        self, view_class: type[Any], **kwargs: Any
    ) -> Callable[..., HttpResponseBase]:
        # Commenters' emails are personal data: only moderators may list them.
        return moderator_required(super().construct_view(view_class, **kwargs))


queue_view = moderator_required(CommentQueueView.as_view())
queue_results_view = moderator_required(CommentQueueView.as_view(results_only=True))
edit_view = moderator_required(CommentEditView.as_view())
ban_author_view = moderator_required(BanAuthorView.as_view())


class MentionPermissionPolicy(ModelPermissionPolicy):
    """Mentions only ever come from an import: editors look, change the status or delete."""

    def user_has_permission(self, user: Any, action: str) -> bool:
        return action != "add" and super().user_has_permission(user, action)


class MentionViewSet(ModelViewSet):
    """Pingbacks and trackbacks an import brought in (``Mention``): listed for moderators,
    never shown under the story."""

    model = Mention
    name = "discussion_mentions"
    url_prefix = "discussion/mentions"
    icon = "link"
    add_to_admin_menu = False
    copy_view_enabled = False
    inspect_view_enabled = True
    form_fields = ["status"]
    list_display = ["__str__", "kind", "source_url", "thread", "status", "created_at"]
    list_filter = ["kind", "status"]
    search_fields = ["source_title", "source_url", "excerpt"]
    search_backend_name = None

    def construct_view(
        self, view_class: type[Any], **kwargs: Any
    ) -> Callable[..., HttpResponseBase]:
        return moderator_required(super().construct_view(view_class, **kwargs))
