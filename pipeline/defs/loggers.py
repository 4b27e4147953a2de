"""How a run talks: everything (Dagster's events, dbt's per-node lines) into a log file, and on the
console (stderr, where progress goes; stdout keeps the summary) one line per step plus whatever
needs a person's eyes (warnings and errors)."""

import logging
import os
import re
import sys

from dagster import Field, InitLoggerContext, logger

_DURATION = re.compile(r" in ([\d.]+\s*\w+)\.?$")


class _StepLines(logging.Filter):
    """Console: a step's end (with its time) or failure, and records at WARNING or above that are not
    Dagster's own event lines (a failed step is reported once, by its STEP_FAILURE)."""

    def filter(self, record: logging.LogRecord) -> bool:
        event = getattr(record, "dagster_event", None)
        if event is None:  # the steps skipped after a failure are said once, by the run's outcome
            return record.levelno >= logging.WARNING and "Not executing." not in record.getMessage()
        if event.is_step_success:
            took = _DURATION.search(record.getMessage())
            record.console = f"  done  {event.step_key}" + (f" ({took.group(1)})" if took else "")
            return True
        if event.is_step_failure:
            record.console = f"  FAILED {event.step_key}: see the log file for the traceback"
            return True
        return False


class _ConsoleFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return getattr(record, "console", None) or f"{record.levelname} {record.getMessage()}"


@logger(
    config_schema={
        "log_file": Field(str, is_required=False, default_value="", description="write every record here"),
        "console": Field(bool, is_required=False, default_value=True, description="one line per step on stderr"),
        "console_fd": Field(
            int,
            is_required=False,
            default_value=-1,
            description="a file descriptor for those lines (a copy of stderr's, made before the "
            "run): Dagster captures the run's own stderr for its compute logs, and "
            "lines written through the capture can be lost when the run ends",
        ),
    },
    description="The run's full log in a file, and one line per step on the console (`make run`).",
)
def run_log(init_context: InitLoggerContext) -> logging.Logger:
    log = logging.getLogger("pledge.run")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    for handler in list(log.handlers):
        log.removeHandler(handler)
        handler.close()
    if init_context.logger_config["log_file"]:
        to_file = logging.FileHandler(init_context.logger_config["log_file"], encoding="utf-8")
        to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        log.addHandler(to_file)
    if init_context.logger_config["console"]:
        fd = init_context.logger_config["console_fd"]
        stream = os.fdopen(fd, "w", encoding="utf-8", buffering=1, closefd=False) if fd >= 0 else sys.stderr
        to_console = logging.StreamHandler(stream)
        to_console.addFilter(_StepLines())
        to_console.setFormatter(_ConsoleFormatter())
        log.addHandler(to_console)
    return log
