from django.contrib import admin

from cases.models import Case, CaseEvent, Comment


class CommentInline(admin.StackedInline):
    model = Comment
    extra = 0
    can_delete = False
    fields = ["created_at", "author", "public", "channel", "body"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class EventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "actor", "kind", "message", "from_state", "to_state", "public"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Cases as staff see them; every change goes through `cases.services`, so the form
    itself is read-only."""

    list_display = ["reference", "summary", "tenant", "state", "priority", "owner", "created_at"]
    list_filter = ["state", "priority", "category", "tenant"]
    search_fields = ["reference", "summary", "reporter__email"]
    list_select_related = ["tenant", "owner"]
    inlines = [CommentInline, EventInline]

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        return [field.name for field in Case._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
