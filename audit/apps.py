from django.apps import AppConfig, apps


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from auditlog.registry import auditlog
        from celery.signals import task_postrun, task_prerun

        from audit.tasks import task_finished, task_started
        from audit.tracked import TRACKED

        for label, tracked in TRACKED.items():
            auditlog.register(
                apps.get_model(label),
                exclude_fields=list(tracked.exclude),
                mask_fields=list(tracked.masked),
                m2m_fields=set(tracked.m2m),
            )
        task_prerun.connect(task_started, dispatch_uid="audit.task_started")
        task_postrun.connect(task_finished, dispatch_uid="audit.task_finished")
