"""An event's page: what, where, photos, the chain as it happened, and the steps the reader may
take now (placeholder: being built)."""


class EventPageMixin:
    pass
