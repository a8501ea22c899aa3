"""The building blocks of an article body."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.embeds.blocks import EmbedBlock
from wagtail.images.blocks import ImageChooserBlock

PARAGRAPH_FEATURES = ["bold", "italic", "link", "ol", "ul"]


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
    image = ImageChooserBlock(label=_("Image"))
    caption = blocks.CharBlock(label=_("Caption"), required=False, max_length=300)
    credit = blocks.CharBlock(label=_("Credit"), required=False, max_length=150)

    class Meta:
        icon = "image"
        label = _("Image")
        template = "newsroom/blocks/image.html"


class EmbedWithCaptionBlock(blocks.StructBlock):
    embed = EmbedBlock(label=_("Address of the post or video"))
    caption = blocks.CharBlock(label=_("Caption"), required=False, max_length=300)

    class Meta:
        icon = "media"
        label = _("Embed")
        template = "newsroom/blocks/embed.html"


class BodyBlock(blocks.StreamBlock):
    paragraph = blocks.RichTextBlock(
        features=PARAGRAPH_FEATURES, label=_("Paragraph"), template="newsroom/blocks/paragraph.html"
    )
    heading = blocks.CharBlock(
        label=_("Subheading"), max_length=200, icon="title", template="newsroom/blocks/heading.html"
    )
    quote = QuoteBlock()
    image = ImageBlock()
    embed = EmbedWithCaptionBlock()
