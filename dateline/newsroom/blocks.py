"""The building blocks of an article body."""

from typing import Any

import nh3
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.contrib.table_block.blocks import TableBlock
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.embeds.blocks import EmbedBlock
from wagtail.images.blocks import ImageChooserBlock

# code, superscript, subscript and strikethrough: imported archives use them (footnote marks,
# chemical formulas, corrections shown struck through) and they are plain inline elements.
PARAGRAPH_FEATURES = [
    "bold",
    "italic",
    "link",
    "ol",
    "ul",
    "code",
    "superscript",
    "subscript",
    "strikethrough",
]


def sanitise_html(html: str) -> str:
    """HTML kept as it came (an import's markup without a block of its own): nh3's allowlist,
    so no script, style, event handler or ``javascript:`` address survives."""
    return nh3.clean(html, link_rel="noopener noreferrer nofollow")


class QuoteBlock(blocks.StructBlock):
    quote = blocks.TextBlock(label=_("Quotation"))
    speaker = blocks.CharBlock(label=_("Speaker"), required=False, max_length=150)
    role = blocks.CharBlock(
        label=_("Speaker's role"),
        required=False,
        max_length=200,
        help_text=_("For example: Foreign Minister"),
    )

    class Meta:
        icon = "openquote"
        label = _("Block quote")
        template = "newsroom/blocks/quote.html"


class ImageBlock(blocks.StructBlock):
    # Not required: an imported story keeps the place (and caption) of a picture whose file
    # was not supplied, so an editor can add it later.
    image = ImageChooserBlock(label=_("Image"), required=False)
    caption = blocks.CharBlock(label=_("Caption"), required=False, max_length=300)
    credit = blocks.CharBlock(label=_("Credit"), required=False, max_length=150)

    class Meta:
        icon = "image"
        label = _("Image")
        template = "newsroom/blocks/image.html"


class GalleryBlock(blocks.StructBlock):
    images = blocks.ListBlock(ImageBlock(), label=_("Images"))
    caption = blocks.CharBlock(label=_("Caption"), required=False, max_length=300)

    class Meta:
        icon = "image"
        label = _("Gallery")
        template = "newsroom/blocks/gallery.html"


class EmbedWithCaptionBlock(blocks.StructBlock):
    embed = EmbedBlock(label=_("Address of the post or video"))
    caption = blocks.CharBlock(label=_("Caption"), required=False, max_length=300)

    class Meta:
        icon = "media"
        label = _("Embed")
        template = "newsroom/blocks/embed.html"


class MediaFileBlock(blocks.StructBlock):
    """A sound or video file the newsroom hosts (a WordPress ``[audio]``/``[video]``)."""

    kind = blocks.ChoiceBlock(
        label=_("Kind"), choices=[("audio", _("Audio")), ("video", _("Video"))], default="audio"
    )
    file = DocumentChooserBlock(label=_("File"), required=False)
    caption = blocks.CharBlock(label=_("Caption"), required=False, max_length=300)

    class Meta:
        icon = "media"
        label = _("Audio or video file")
        template = "newsroom/blocks/media_file.html"


class CodeBlock(blocks.StructBlock):
    language = blocks.CharBlock(label=_("Language"), required=False, max_length=40)
    code = blocks.TextBlock(label=_("Code"))

    class Meta:
        icon = "code"
        label = _("Code or preformatted text")
        template = "newsroom/blocks/code.html"


class KeptHTMLBlock(blocks.TextBlock):
    """Markup an import could not map to a block of its own, kept rather than dropped (the
    import report lists each). Sanitised when stored and again when shown, so an editor's
    paste cannot add a script either."""

    def clean(self, value: Any) -> str:
        return sanitise_html(super().clean(value))

    def render_basic(self, value: Any, context: Any = None) -> SafeString:
        return mark_safe(sanitise_html(value or ""))  # noqa: S308 - sanitised just now

    class Meta:
        icon = "code"
        label = _("HTML (kept from an import)")


class BodyBlock(blocks.StreamBlock):
    paragraph = blocks.RichTextBlock(
        features=PARAGRAPH_FEATURES, label=_("Paragraph"), template="newsroom/blocks/paragraph.html"
    )
    heading = blocks.CharBlock(
        label=_("Subheading"), max_length=200, icon="title", template="newsroom/blocks/heading.html"
    )
    quote = QuoteBlock()
    image = ImageBlock()
    gallery = GalleryBlock()
    embed = EmbedWithCaptionBlock()
    media_file = MediaFileBlock()
    code = CodeBlock()
    table = TableBlock(label=_("Table"), template="newsroom/blocks/table.html")
    separator = blocks.StaticBlock(
        label=_("Separator"),
        admin_text=_("A line between parts of the story."),
        icon="horizontalrule",
        template="newsroom/blocks/separator.html",
    )
    html = KeptHTMLBlock()
