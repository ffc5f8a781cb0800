"""A tiny Celery app for lesson 4 (worker queues), and the measurements the lesson makes.

The app lives on the stack's Redis with a queue of its own (`lessons`), so it never competes
with TaskOverflow's `ical` worker. Its worker is a real child process
(`labkit.lessons.workers.start_worker`) with task events on; `TaskEvents` listens to
those events from the notebook and turns them into a DataFrame with one row per task (`lane` is
"hostname/pid" of the pool process that ran it), which `labkit.lessons.analysis.plots.plot_task_timeline`
draws. `throughput_experiment` runs the same batch against workers of growing concurrency.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

from celery import Celery
from celery.states import READY_STATES

from labkit.lessons import workers
from labkit.lessons.progress import advance, counter, wait_until
from labkit.lessons.workers import stop_workers as stop_workers  # re-exported for lesson 04
from labkit.lessons.workers import wait_ready
from labkit.waiting import eventually

QUEUE = "lessons"
APP = "labkit.lessons.lesson_04"
#: The events after which a task is done (its result is in).
ENDED = ("task-succeeded", "task-failed")
EVENT_COLUMNS = [
    "task_id",
    "name",
    "state",
    "hostname",
    "pid",
    "lane",
    "received",
    "started",
    "succeeded",
    "runtime",
]

celery = Celery("lesson_04")
celery.conf.update(
    broker_url=os.environ.get("CELERY_BROKER_URL"),
    result_backend=os.environ.get("CELERY_RESULT_BACKEND"),
    task_default_queue=QUEUE,
    task_track_started=True,  # without it a task goes from PENDING straight to SUCCESS
    worker_prefetch_multiplier=1,  # each pool process takes one task at a time: fair lanes
    broker_connection_retry_on_startup=True,
    result_expires=3600,
    # kombu's SQS channel sleeps polling_interval (1 s) whenever the pool is busy; a tenth of
    # that keeps lesson 6 lively. Redis ignores it.
    broker_transport_options={"polling_interval": 0.1},
)


@celery.task(name="hello")
def hello() -> str:
    """The handout's first task: proves a worker takes jobs from the queue."""
    return "Hello World"


@celery.task(name="work")
def work(seconds: float) -> int:
    """Stand-in for slow work (the handout sleeps too); returns the pid of the pool process."""
    time.sleep(float(seconds))
    return os.getpid()


@celery.task(name="fail")
def fail(message: str = "this task fails on purpose") -> None:
    """A task that raises, to show the FAILURE state and its traceback."""
    raise ValueError(message)


@celery.task(name="fail_late", acks_late=True)
def fail_late(message: str = "this task fails on purpose") -> None:
    """`fail` with acks_late: acknowledged after it ran, even though it raised (Celery's
    task_acks_on_failure_or_timeout, on by default), so SQS deletes it and never redelivers."""
    raise ValueError(message)


def configure(env: Mapping[str, str] | Any) -> Celery:
    """Point the app at a stack: ``env`` is `Lab.env` or a Lab (its `env` is used)."""
    env = getattr(env, "env", env)
    celery.conf.broker_url = env["CELERY_BROKER_URL"]
    celery.conf.result_backend = env.get("CELERY_RESULT_BACKEND") or env["CELERY_BROKER_URL"]
    return celery


def start_worker(
    lab: Any, concurrency: int = 1, queues: list[str] | None = None, name: str | None = None
):  # noqa: ANN201 - CeleryWorkerHandle
    """Start a worker of this app for ``lab`` (events on) and wait until it is ready; the
    worker started under the same ``name`` before is replaced (`labkit.lessons.workers`)."""
    configure(lab)
    return workers.start_worker(
        APP,
        lab.env,
        queues or [QUEUE],
        name or "lesson-worker",
        concurrency=concurrency,
        events=True,
    )


def watch_states(result: Any, timeout: float = 60.0, interval: float = 0.01):  # noqa: ANN201
    """Poll an AsyncResult until it is ready; a DataFrame of each state seen and when.

    Polling starts at once (pandas is imported only afterwards), so a short wait in the queue
    is not missed.
    """
    seen: list[dict[str, Any]] = []
    start = time.monotonic()

    def record() -> bool:
        state = result.state
        if not seen or seen[-1]["state"] != state:
            seen.append({"state": state, "after_s": round(time.monotonic() - start, 3)})
        # judged on the state just recorded: asking result.ready() apart could see the end
        # after this read and leave the last state out of the table
        return state in READY_STATES

    eventually(record, timeout, poll=interval)
    import pandas as pd

    return pd.DataFrame(seen)


class TaskEvents:
    """Records the task events workers send, on a background thread of the notebook.

    Use as a context manager around the work to observe; entering waits until the receiver is
    subscribed (a worker answers a heartbeat request), so no early event is lost.
    """

    KINDS = ("task-received", "task-started", "task-succeeded", "task-failed")

    def __init__(self, app: Celery = celery) -> None:
        self.app = app
        self.events: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._receiver: Any = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def _on_event(self, event: dict[str, Any]) -> None:
        self._ready.set()
        if event.get("type") in self.KINDS:
            with self._lock:
                self.events.append(event)

    def _run(self) -> None:
        try:
            with self.app.connection_for_read() as conn:
                receiver = self.app.events.Receiver(conn, handlers={"*": self._on_event})
                self._receiver = receiver
                last_wakeup = [0.0]

                def on_iteration() -> None:
                    if not self._ready.is_set() and time.monotonic() - last_wakeup[0] > 0.2:
                        last_wakeup[0] = time.monotonic()
                        receiver.wakeup_workers()  # workers answer with a heartbeat event

                receiver.on_iteration = on_iteration
                # A short safety interval: stop() takes effect within 0.1 s.
                for _ in receiver.consume(limit=None, safety_interval=0.1, wakeup=False):
                    pass
        except BaseException as exc:  # noqa: BLE001 - reported by __enter__/frame
            self._error = exc
            self._ready.set()

    def __enter__(self) -> TaskEvents:
        self._thread = threading.Thread(target=self._run, name="celery-events", daemon=True)
        self._thread.start()
        try:
            wait_until(self._ready.is_set, 15, "Celery events from a worker", poll=0.02)
        except TimeoutError:
            self.stop()
            raise TimeoutError(
                "no Celery worker sent events within 15 s: is one running (-E)?"
            ) from None
        if self._error:
            raise RuntimeError(f"cannot listen to Celery events: {self._error}") from self._error
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self._receiver is not None:
            self._receiver.should_stop = True
        if self._thread is not None:
            self._thread.join(timeout=3)

    def wait_for(
        self,
        task_ids: Iterable[str],
        timeout: float = 30.0,
        desc: str = "tasks finished",
        progress: bool = True,
    ) -> None:
        """Block until every task in ``task_ids`` has succeeded or failed (events seen); a
        progress bar counts them after a second."""
        wanted = set(task_ids)
        done: set[str] = set()
        with counter(len(wanted), desc, progress=progress) as bar:

            def all_done() -> bool:
                with self._lock:
                    done.update(e["uuid"] for e in self.events if e["type"] in ENDED)
                advance(bar, len(wanted & done))
                return wanted <= done

            if eventually(all_done, timeout, poll=0.01):
                return
        raise TimeoutError(f"{len(wanted - done)} of {len(wanted)} tasks did not finish in time")

    def frame(self):  # noqa: ANN201 - pandas.DataFrame
        """One row per task: see EVENT_COLUMNS; times are epoch seconds (floats)."""
        with self._lock:
            events = list(self.events)
        return events_frame(events)


def events_frame(events: list[dict[str, Any]]):  # noqa: ANN201 - pandas.DataFrame
    """Fold task events into one row per task (columns EVENT_COLUMNS)."""
    import pandas as pd

    rows: dict[str, dict[str, Any]] = {}
    for event in events:
        row = rows.setdefault(event["uuid"], {"task_id": event["uuid"], "state": "RECEIVED"})
        kind = event["type"]
        row["hostname"] = event.get("hostname", row.get("hostname"))
        row.setdefault("pid", event.get("pid"))
        if kind == "task-received":
            row["name"] = event.get("name")
            row["received"] = event.get("timestamp")
        elif kind == "task-started":
            row["started"] = event.get("timestamp")
            row["state"] = "STARTED"
        elif kind == "task-succeeded":
            row["succeeded"] = event.get("timestamp")
            row["runtime"] = event.get("runtime")
            row["state"] = "SUCCESS"
            result = str(event.get("result", ""))
            if result.isdigit():  # `work` returns the pid of the pool process that ran it
                row["pid"] = int(result)
        elif kind == "task-failed":
            row["succeeded"] = event.get("timestamp")
            row["state"] = "FAILURE"
    frame = pd.DataFrame(list(rows.values()), columns=EVENT_COLUMNS)
    frame["lane"] = frame["hostname"].astype(str) + "/" + frame["pid"].astype(str)
    for column in ("received", "started", "succeeded", "runtime"):
        frame[column] = frame[column].astype(float)
    return frame.sort_values("received", ignore_index=True)


def run_batch(
    lab: Any,
    tasks: int = 8,
    seconds: float = 0.25,
    concurrency: int = 2,
    worker: Any = None,
    queue: str | None = None,
):  # noqa: ANN201 - pandas.DataFrame
    """Send ``tasks`` `work(seconds)` tasks to a worker of ``concurrency``; their events.

    A worker is started (and stopped) for the batch unless ``worker`` (and its ``queue``) is
    given.
    """
    configure(lab)
    own = worker is None
    queue = queue or f"{QUEUE}.c{concurrency}"
    if own:
        worker = start_worker(lab, concurrency, queues=[queue], name=f"lesson-batch-c{concurrency}")
    try:
        with TaskEvents() as recorder:
            results = [work.apply_async((seconds,), queue=queue) for _ in range(tasks)]
            recorder.wait_for(
                [r.id for r in results],
                timeout=30 + tasks * seconds,
                desc=f"--concurrency {concurrency}: tasks finished",
            )
            frame = recorder.frame()
        for result in results:
            result.forget()
    finally:
        if own:
            workers.stop_worker(f"lesson-batch-c{concurrency}")
    frame["concurrency"] = concurrency
    return frame


def throughput_experiment(
    lab: Any,
    concurrencies: Iterable[int] = (1, 2, 4),
    tasks: int = 12,
    seconds: float = 0.25,
):  # noqa: ANN201 - pandas.DataFrame
    """Throughput (tasks/s) of one batch against workers of each concurrency.

    One row per concurrency: concurrency, tasks, seconds (per task), elapsed (first received to
    last finished, worker clock), throughput, speedup (against the first row). The per-task
    events of every run are in ``result.attrs["events"]``. Workers start in parallel, then the
    batches run one after another so they do not share the CPU.
    """
    import pandas as pd

    configure(lab)
    concurrencies = list(concurrencies)
    started = {
        n: workers.start_worker(
            APP, lab.env, [f"{QUEUE}.c{n}"], f"lesson-c{n}", concurrency=n, events=True, wait=False
        )
        for n in concurrencies
    }
    frames = []  # one bar over the whole run: starts, batches and stops each take seconds
    with counter(len(concurrencies) + 2, "throughput experiment", unit="step") as bar:
        try:
            wait_ready(list(started.values()), timeout=30)
            for n in concurrencies:
                advance(bar, len(frames) + 1)
                queue = f"{QUEUE}.c{n}"
                frames.append(run_batch(lab, tasks, seconds, n, worker=started[n], queue=queue))
            advance(bar, len(frames) + 1)
        finally:
            for n in concurrencies:
                workers.stop_worker(f"lesson-c{n}")
        advance(bar, len(frames) + 2)
    rows = []
    for n, frame in zip(concurrencies, frames, strict=True):
        elapsed = float(frame["succeeded"].max() - frame["received"].min())
        rows.append(
            {
                "concurrency": n,
                "tasks": tasks,
                "seconds": seconds,
                "elapsed": elapsed,
                "throughput": tasks / elapsed,
            }
        )
    summary = pd.DataFrame(rows)
    summary["speedup"] = summary["throughput"] / summary["throughput"].iloc[0]
    summary.attrs["events"] = pd.concat(frames, ignore_index=True)
    return summary


def start_student_worker(lab: Any, module: str, queue: str) -> Any:
    """Run `celery --app MODULE worker` on the module the notebook wrote (``%%writefile``).

    This kernel gets the handout's variables first (CELERY_BROKER_URL, CELERY_RESULT_BACKEND:
    the stack's; CELERY_DEFAULT_QUEUE: ``queue``, so the lesson never shares TaskOverflow's
    `ical` queue), as the compose file gives them to the API and the worker. Returns the worker
    handle, or None (with one line saying why) while the module has no Celery app yet or the
    worker cannot load it.
    """
    import importlib
    import sys
    from pathlib import Path

    from labkit.stack.errors import StackError

    name = f"{module}-worker"
    workers.stop_worker(name)  # a re-run replaces the worker on the module as it was
    broker = lab.env["CELERY_BROKER_URL"]
    env = {
        "CELERY_BROKER_URL": broker,
        "CELERY_RESULT_BACKEND": lab.env.get("CELERY_RESULT_BACKEND") or broker,
        "CELERY_DEFAULT_QUEUE": queue,
    }
    os.environ.update(env)
    folder = str(Path.cwd())
    if folder not in sys.path:
        sys.path.insert(0, folder)
    importlib.invalidate_caches()
    try:
        loaded = sys.modules.get(module)
        loaded = importlib.reload(loaded) if loaded else importlib.import_module(module)
    except Exception as error:  # noqa: BLE001 - the student's import error, in one line
        print(f"… {module}.py does not import yet ({type(error).__name__}: {error})")
        return None
    if not any(isinstance(value, Celery) for value in vars(loaded).values()):
        print(f"… {module}.py has no Celery app yet: write it in the cell above and run it")
        return None
    try:
        return workers.start_worker(
            module,
            {**lab.env, **env, "PYTHONPATH": os.pathsep.join([folder, *sys.path])},
            [queue],
            name,
        )
    except StackError as error:
        print(f"… the worker could not start on {module}.py: {error}")
        return None
