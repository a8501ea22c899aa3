"""Forms readers fill in: follow a story, and new-story subscriptions."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from dateline.newsroom.models import SectionPage
from dateline.notifications.models import Subscription

EMAIL_FIELD = {
    "label": _("Your email address"),
    "max_length": 254,
    "widget": forms.EmailInput(attrs={"autocomplete": "email"}),
}


class FollowForm(forms.Form):
    email = forms.EmailField(**EMAIL_FIELD)  # type: ignore[arg-type]
    what = forms.ChoiceField(
        label=_("Email me about"),
        choices=[
            (Subscription.Kind.COMMENTS, _("Every new comment on this story")),
            (Subscription.Kind.REPLIES, _("Only replies to my comments")),
        ],
        initial=Subscription.Kind.COMMENTS,
        widget=forms.RadioSelect,
    )
    frequency = forms.ChoiceField(
        label=_("How often"),
        choices=[
            (Subscription.Frequency.INSTANT, _("At once, one email per comment")),
            (Subscription.Frequency.DAILY, _("Once a day, in a digest")),
        ],
        initial=Subscription.Frequency.INSTANT,
        widget=forms.RadioSelect,
    )


class NewPostsForm(forms.Form):
    email = forms.EmailField(**EMAIL_FIELD)  # type: ignore[arg-type]
    frequency = forms.ChoiceField(
        label=_("How often"),
        choices=[
            (Subscription.Frequency.INSTANT, _("At once, one email per story")),
            (Subscription.Frequency.DAILY, _("Once a day, in a digest")),
            (Subscription.Frequency.WEEKLY, _("Once a week, in a digest")),
        ],
        initial=Subscription.Frequency.INSTANT,
        widget=forms.RadioSelect,
    )
    sections = forms.ModelMultipleChoiceField(
        label=_("Sections"),
        queryset=SectionPage.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave every box empty to hear about every new story."),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["sections"].queryset = (  # type: ignore[attr-defined]
            SectionPage.objects.live().public().order_by("path")
        )
