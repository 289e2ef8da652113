"""Pipeline step 900: write documents, clauses and every fetch outcome; then the run manifest
and the dataset card (``<out>/README.md``, pipelines/storage/card.py).

Every page that does not become a document still leaves a row in ``fetches`` with its
reason: dropped items reach us through Scrapy's ``item_dropped`` signal.

Rows are committed in batches (every POLICYARCHIVE_COMMIT_DOCUMENTS documents or
POLICYARCHIVE_COMMIT_SECONDS seconds, and at the end): the policies, clauses and fetches
parts of a batch become visible together, recorded in the state database as one commit
(pipelines/storage/state.py), so a kill at any moment never leaves a document without its clauses
or clauses without their document. A fetch outcome identical to one already written (same
site, snapshot, URL, outcome, status and detail) is not written again: the state database
counts how often it was seen instead.

One run at a time per output directory: ``<out>/.lock`` is held for the whole run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import signal
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import CloseSpider

from pipelines.items import Document, FetchRecord, PolicyPage
from pipelines.process import release_free_memory
from pipelines.steps.drops import Refused
from pipelines.storage.fold import fold_finished_nodes, fold_node
from pipelines.storage.lock import OutputLocked, lock_output
from pipelines.storage.parquet import (
    TMP_PREFIX,
    DatasetWriter,
    PreparedFile,
    fsync_dir,
)
from pipelines.storage.schemas import DATASETS
from pipelines.storage.shared import SharedRecord, from_settings, node_dir
from pipelines.storage.state import (
    CommitPayload,
    Outcome,
    PendingFile,
    Settled,
    SiteDone,
    StateStore,
    StoredDoc,
    recover,
)

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

DATASET_NAMES = tuple(DATASETS)

# Outcomes that say something about the archive's content, not about a failed exchange: a
# site whose run saw only these may settle its snapshots without a document.
DEFINITIVE = {
    "ok",
    "no_capture_in_period",
    "no_policy_found",
    "redirect_outside_period",
    "too_many_redirects",
    "already_stored",
    "http_404",
    "http_410",
}
NEGATIVE = DEFINITIVE - {"ok", "already_stored"}
# pipeline refusals that say nothing about the page (it may do better next time)
TRANSIENT_REFUSALS = {
    "timeout",
    "worker_crashed",
    "worker_init_failed",
    "cancelled",
    "processing_error",
    "dropped",
}

_PACKAGES = (
    "policyarchive",
    "scrapy",
    "trafilatura",
    "pyarrow",
    "pandas",
    "waybackpy",
    "scikit-learn",
)


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def write_json_atomic(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, sort_keys=True, default=str)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def fetch_row(rec: FetchRecord) -> dict[str, Any]:
    return {
        "site": rec.site,
        "url": rec.url,
        "kind": rec.kind,
        "source": rec.source,
        "outcome": rec.outcome,
        "http_status": rec.http_status,
        "detail": rec.detail[:2000],
        "archive_url": rec.archive_url,
        "captured_at": rec.captured_at,
        "fetched_at": rec.fetched_at or datetime.now(UTC),
        "warc_filename": rec.warc_filename,
        "warc_offset": rec.warc_offset,
        "document_type": rec.document_type,
        "run_id": rec.run_id,
    }


def outcome_key(rec: FetchRecord) -> str:
    """Identity of a fetch outcome: what happened to which URL, not when or in which run."""
    parts = (
        rec.site,
        rec.snapshot,
        rec.source,
        rec.kind,
        rec.url,
        rec.archive_url or "",
        rec.outcome,
        "" if rec.http_status is None else str(rec.http_status),
        rec.detail[:2000],
    )
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


# sent after a commit in a distributed run, with the sites it finished (their leases end)
sites_committed = object()
# sent by a node of a distributed run that has no site left to take: commit what is settled
commit_requested = object()
# sent by a node before it takes sites: finish the commits of dead nodes first, so a site
# whose rows a dead node committed is never crawled and written again
recover_requested = object()


def page_fetch(
    page: PolicyPage, outcome: str, detail: str = "", document_type: str | None = None
) -> FetchRecord:
    return FetchRecord(
        site=page.site,
        url=page.policy_url,
        snapshot=page.snapshot,
        source=page.source,
        outcome=outcome,
        kind="policy",
        http_status=page.http_status,
        detail=detail,
        archive_url=page.archive_url,
        captured_at=page.captured_at,
        run_id=page.run_id,
        document_type=document_type,
    )


class ParquetPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        s = crawler.settings
        self.out_dir = Path(s.get("OUTPUT_DIR"))
        self.row_group_rows = s.getint("POLICYARCHIVE_ROW_GROUP_ROWS")
        self.commit_docs = max(1, s.getint("POLICYARCHIVE_COMMIT_DOCUMENTS"))
        self.commit_seconds = s.getfloat("POLICYARCHIVE_COMMIT_SECONDS")
        # fault injection for the resume tests: "after_pending:2" SIGKILLs this process at
        # that point of its 2nd commit (before_pending | after_pending | after_rename)
        self.kill_at = str(s.get("POLICYARCHIVE_FAULT_KILL_AT") or "")
        self.writer: DatasetWriter | None = None
        self.state: StateStore | None = None
        self.prior: StateStore | None = None  # the output's record (the state, single-node)
        # a distributed run (--redis): what is stored is shared through Redis, and this
        # node's lock and SQLite record live in <out>/nodes/<node>/
        self.shared: SharedRecord | None = None
        self.lease_seconds = s.getfloat("POLICYARCHIVE_LEASE_SECONDS")
        self._batch_sites: list[str] = []  # sites settled in this batch: done once committed
        self._unshared: list[tuple[CommitPayload, list[str]]] = []  # committed, not in Redis yet
        self.lock_fd: int | None = None
        self.node_lock_fd: int | None = None
        self.started_at = datetime.now(UTC)
        self.outcomes: Counter[str] = Counter()
        self.docs_per_snapshot: Counter[str] = Counter()
        self.sites_with_docs: set[str] = set()
        self.written_keys: set[str] = set()  # fetch outcomes written by this run
        self.unchanged = 0  # fetch outcomes not written again
        self.commits = 0
        self._batch_docs: list[StoredDoc] = []
        self._batch_outcomes: list[Outcome] = []
        self._batch_settled: list[Settled] = []
        self._last_commit = time.monotonic()
        # per site, until its SiteDone marker settles it: pages out, negatives, failures
        self._pages_out: Counter[str] = Counter()
        self._negatives: dict[str, dict[str, str]] = {}
        self._failed_sites: set[str] = set()
        self._site_done: dict[str, SiteDone] = {}
        crawler.signals.connect(self.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self._commit_requested, signal=commit_requested)
        crawler.signals.connect(self._recover_requested, signal=recover_requested)
        self.closed_cleanly = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ParquetPipeline:
        return cls(crawler)

    @property
    def run_id(self) -> str:
        return getattr(self.crawler.spider, "run_id", "") or self.started_at.strftime(
            "%Y%m%dT%H%M%SZ"
        )

    @property
    def archive(self) -> str | None:
        args = getattr(self.crawler.spider, "args", None)
        return getattr(args, "archive", None)

    def open_spider(self) -> None:
        self.shared = from_settings(self.crawler.settings)
        home = self.out_dir if self.shared is None else node_dir(self.out_dir, self.shared.node)
        try:
            self.lock_fd = lock_output(self.out_dir, shared=self.shared is not None)
            if self.shared is not None:
                self.node_lock_fd = lock_output(home)
        except OutputLocked as exc:
            logger.error("%s", exc)
            raise CloseSpider("output_locked") from exc
        self.state = StateStore(home / "state.sqlite")
        forward, back = recover(self.out_dir, self.state)
        # the output's own record: in a distributed run, what earlier runs (of any name)
        # stored; finished and killed nodes' records are folded into it first
        self.prior = (
            self.state if self.shared is None else StateStore(self.out_dir / "state.sqlite")
        )
        fold_finished_nodes(self.out_dir, self.prior)
        if self.shared is not None:
            self.shared.heartbeat()
            f2, b2 = self.shared.recover_dead(self.out_dir, 0.9 * self.lease_seconds)
            forward, back = forward + f2, back + b2
            # other nodes are writing their temporaries beside ours: leave them be
            removed = 0
        else:
            removed = DatasetWriter.clean_temporaries(self.out_dir)
        for tmp in (self.out_dir / "runs").glob(f"{TMP_PREFIX}*"):
            tmp.unlink(missing_ok=True)
            removed += 1
        if removed:
            logger.warning("removed %d unfinished files left by an interrupted run", removed)
        self._close_interrupted_runs()
        self.stats.set_value("policyarchive/recovery/rolled_forward", forward)
        self.stats.set_value("policyarchive/recovery/rolled_back", back)
        self.state.run_started(self.run_id, self.started_at.isoformat())
        # a first manifest now: a killed run still says what it was asked (policyarchive status)
        spider = self.crawler.spider
        write_json_atomic(
            self.out_dir / "runs" / f"{self.run_id}.json",
            {
                "run_id": self.run_id,
                "spider": getattr(spider, "name", None),
                "arguments": getattr(spider, "run_args", {}),
                "command": sys.argv,
                "started_at": self.started_at.isoformat(),
                "finished_at": None,
                "status": "running",
                "files": [],
            },
        )
        self.writer = DatasetWriter(
            self.out_dir, self.run_id, row_group_rows=self.row_group_rows, auto_commit=False
        )

    def _close_interrupted_runs(self) -> None:
        """Give each killed run a manifest listing the files it did commit."""
        assert self.state is not None
        for run_id, started_at in self.state.unfinished_runs():
            files = self.state.run_files(run_id)
            rows: Counter[str] = Counter()
            for f in files:
                rows[f["dataset"]] += f["rows"]
            now = datetime.now(UTC).isoformat()
            path = self.out_dir / "runs" / f"{run_id}.json"
            manifest = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
            manifest.update(
                {
                    "run_id": run_id,
                    "started_at": started_at,
                    "finished_at": None,
                    "status": "interrupted",
                    "recovered_at": now,
                    "counts": {"rows": {ds: rows.get(ds, 0) for ds in DATASET_NAMES}},
                    "files": files,
                }
            )
            write_json_atomic(path, manifest)
            self.state.run_finished(run_id, now, "interrupted")
            logger.warning(
                "run %s was interrupted; its %d committed files stay, the rest is redone",
                run_id,
                len(files),
            )

    # -- rows -----------------------------------------------------------------------------
    def _fetch(self, rec: FetchRecord, track: bool = True) -> None:
        assert self.writer is not None and self.state is not None
        if not rec.run_id:
            rec.run_id = self.run_id
        self.outcomes[rec.outcome] += 1
        self.stats.inc_value(f"policyarchive/fetches/{rec.outcome}")
        key = outcome_key(rec)
        if track:
            self._track(rec.site, rec.snapshot, rec.outcome, rec.kind)
        self._batch_outcomes.append(
            Outcome(
                key=key,
                site=rec.site,
                snapshot=rec.snapshot,
                kind=rec.kind,
                url=rec.url,
                archive_url=rec.archive_url,
                outcome=rec.outcome,
                http_status=rec.http_status,
                detail=rec.detail[:2000],
            )
        )
        if (
            key in self.written_keys
            or self.state.outcome_known(key)
            or (self.shared is not None and self.prior.outcome_known(key))
            or (self.shared is not None and self.shared.outcome_known(key))
        ):
            self.unchanged += 1
            self.stats.inc_value("policyarchive/fetches_unchanged")
            return
        self.written_keys.add(key)
        self.writer.add("fetches", rec.snapshot, fetch_row(rec))

    async def process_item(self, item: Any) -> Any:
        assert self.writer is not None
        if isinstance(item, FetchRecord):
            self._fetch(item)
        elif isinstance(item, SiteDone):
            self._site_done[item.site] = item
            self._settle(item.site)
        elif isinstance(item, Document):
            policy = item.policy
            for row in item.clauses:
                self.writer.add("clauses", item.snapshot, row)
            self.writer.add("policies", item.snapshot, policy, key=policy["policy_id"])
            captured = policy["captured_at"]
            self._batch_docs.append(
                StoredDoc(
                    policy_id=policy["policy_id"],
                    site=policy["site"],
                    snapshot=item.snapshot,
                    source=policy["source"],
                    archive=self.archive if policy["source"] == "wayback" else None,
                    content_digest=policy["content_digest"],
                    cdx_digest=policy.get("cdx_digest"),
                    policy_url=policy["policy_url"],
                    captured_at=captured.isoformat() if captured else "",
                )
            )
            self.docs_per_snapshot[item.snapshot] += 1
            # a page refused before this one (a legal hub) does not make the snapshot negative
            self._negatives.get(policy["site"], {}).pop(item.snapshot, None)
            self.stats.inc_value("policyarchive/documents_stored")
            self.sites_with_docs.add(policy["site"])
            self._fetch(
                FetchRecord(
                    site=policy["site"],
                    url=policy["policy_url"],
                    snapshot=item.snapshot,
                    source=policy["source"],
                    outcome="ok",
                    kind="policy",
                    http_status=policy["http_status"],
                    archive_url=policy["archive_url"],
                    captured_at=policy["captured_at"],
                    detail=f"policy_id={policy['policy_id']}",
                    document_type=policy.get("document_type"),
                )
            )
            self._page_out(policy["site"])
        self._maybe_commit()
        return item

    def item_dropped(self, item: Any, response: Any, exception: BaseException, spider: Any) -> None:
        reason = exception.reason if isinstance(exception, Refused) else "dropped"
        self.stats.inc_value(f"policyarchive/dropped/{reason}")
        if isinstance(item, PolicyPage) and self.writer is not None:
            doc_type = getattr(exception, "document_type", None)
            self._fetch(page_fetch(item, reason, str(exception), doc_type), track=False)
            if reason in TRANSIENT_REFUSALS:
                self._failed_sites.add(item.site)
            elif reason != "already_stored":  # the page is not a policy: that is an answer
                self._negatives.setdefault(item.site, {})[item.snapshot] = reason
            self._page_out(item.site)
            self._maybe_commit()

    # -- settling sites -------------------------------------------------------------------
    def _track(self, site: str, snapshot: str, outcome: str, kind: str) -> None:
        """Note what a spider's fetch outcome says about settling its site."""
        if outcome not in DEFINITIVE:
            self._failed_sites.add(site)  # a failed exchange: decide nothing from this run
        elif kind == "policy" and outcome in NEGATIVE:
            self._negatives.setdefault(site, {})[snapshot] = outcome

    def _page_out(self, site: str) -> None:
        self._pages_out[site] += 1
        self._settle(site)

    def _settle(self, site: str) -> None:
        done = self._site_done.get(site)
        if done is None or self._pages_out[site] < done.pages:
            return
        del self._site_done[site]
        del self._pages_out[site]  # settled: keep nothing per site for the rest of the run
        self._batch_sites.append(site)
        negatives = self._negatives.pop(site, {})
        if site in self._failed_sites:
            self._failed_sites.discard(site)
            logger.info("%s: something failed this run; its snapshots stay open", site)
            return
        self._batch_settled += [
            Settled(done.source, done.archive, site, snapshot, outcome)
            for snapshot, outcome in negatives.items()
        ]

    # -- commits --------------------------------------------------------------------------
    def _maybe_commit(self) -> None:
        assert self.writer is not None
        if (
            len(self._batch_docs) >= self.commit_docs
            or self.writer.wants_commit
            or time.monotonic() - self._last_commit >= self.commit_seconds
        ):
            self.commit()

    def commit(self) -> None:
        """Make every buffered row visible in one atomic step (see pipelines/storage/state.py)."""
        assert self.writer is not None and self.state is not None
        self._last_commit = time.monotonic()
        prepared = self.writer.prepare()
        sites, self._batch_sites = self._batch_sites, []
        if not prepared and not self._batch_outcomes and not self._batch_settled and not sites:
            return
        self.commits += 1
        payload = CommitPayload(
            commit_id=f"{self.run_id}-{self.commits:05d}",
            run_id=self.run_id,
            files=[self._pending(p) for p in prepared],
            docs=self._batch_docs,
            outcomes=self._batch_outcomes,
            settled=self._batch_settled,
        )
        self._batch_docs, self._batch_outcomes, self._batch_settled = [], [], []
        self._fault("before_pending")
        if prepared:
            self.state.begin_commit(payload)
            if self.shared is not None:
                self.shared.begin(payload, sites)
            self._fault("after_pending")
            self.writer.publish(prepared)
            self._fault("after_rename")
        self.state.finish_commit(payload)
        if self.shared is not None:
            self._unshared.append((payload, sites))
            self._share_commits()
        self.stats.inc_value("policyarchive/commits")
        release_free_memory()  # the batch's rows and Arrow buffers are garbage now

    def _share_commits(self) -> None:
        """Tell Redis what is committed: the documents are stored and the sites done for
        every node, in one step. Kept and retried if Redis cannot be reached for now."""
        assert self.shared is not None
        while self._unshared:
            payload, sites = self._unshared[0]
            try:
                self.shared.finish(payload, sites)
                self.shared.heartbeat()
            except Exception as exc:
                logger.warning("commit %s not yet shared through Redis: %s", payload.commit_id, exc)
                return
            self._unshared.pop(0)
            self.crawler.signals.send_catch_log(sites_committed, sites=sites)

    def _commit_requested(self) -> None:
        if self.writer is not None and self.state is not None:
            self.commit()

    def _recover_requested(self) -> None:
        if self.shared is not None:
            self._share_commits()
            # a lease runs out lease_seconds after its last renewal; the heartbeat is renewed
            # with it, so a node whose leases ran out is already taken for dead here
            f, b = self.shared.recover_dead(self.out_dir, 0.9 * self.lease_seconds)
            self.stats.inc_value("policyarchive/recovery/rolled_forward", f)
            self.stats.inc_value("policyarchive/recovery/rolled_back", b)

    def _pending(self, p: PreparedFile) -> PendingFile:
        return PendingFile(
            tmp=str(p.tmp_path.relative_to(self.out_dir)),
            final=str(p.final_path.relative_to(self.out_dir)),
            dataset=p.dataset,
            snapshot=p.snapshot,
            rows=p.rows,
            sha256=p.sha256,
        )

    def _fault(self, point: str) -> None:
        if self.kill_at == f"{point}:{self.commits}":
            logger.warning("fault injection: SIGKILL at %s of commit %d", point, self.commits)
            os.kill(os.getpid(), signal.SIGKILL)

    def close_spider(self) -> None:
        if self.writer is None or self.state is None:
            return  # never opened (output locked)
        self.commit()
        if self.shared is None:
            self._update_changes()
        else:
            # nodes of one run would rewrite the same history files side by side: the
            # history is derived once the run is complete (`policyarchive changes OUT`)
            logger.info("distributed run: changes are derived by `policyarchive changes OUT`")
        self.closed_cleanly = True

    def _write_card(self) -> None:
        """Rewrite the dataset card (<out>/README.md), still under the output's lock."""
        # imported here: pyarrow.dataset is needed only now, not for the whole crawl
        from pipelines.storage.card import write_card

        try:
            write_card(self.out_dir)
        except Exception:  # the data is safe; a card that cannot be written is still an error
            logger.exception("the dataset card %s/README.md was not rewritten", self.out_dir)

    def _update_changes(self) -> None:
        """Add the ``changes`` rows of the versions this run stored (still under the lock)."""
        assert self.writer is not None
        from pipelines.history.maintain import update_changes

        try:
            result = update_changes(self.out_dir, self.run_id)
        except Exception:
            # the crawl's own rows are committed; `policyarchive changes OUT` can redo this
            logger.exception("could not bring the changes datasets up to date")
            return
        self.writer.row_counts["changes"] += result.changes_added
        self.writer.row_counts["clause_changes"] += result.clause_changes_added
        self.stats.set_value("policyarchive/changes/added", result.changes_added)
        self.stats.set_value("policyarchive/changes/removed", result.changes_removed)

    def spider_closed(self, spider: Any, reason: str) -> None:
        """Write the run manifest. Scrapy says why the run ended only here, after the
        pipelines closed (a Ctrl-C is ``shutdown``), so the manifest waits for this signal."""
        if self.writer is None or self.state is None:
            return
        stats = self.crawler.stats
        if not self.closed_cleanly:
            reason = f"pipeline_not_closed ({reason})"
        elif reason == "finished":  # the politeness middleware closes a run with its own reason
            reason = stats.get_value("policyarchive/close_reason") or reason
        files = self.writer.committed
        finished = datetime.now(UTC)
        status = "complete" if reason == "finished" else f"incomplete: {reason}"
        spider = self.crawler.spider
        failures = {k: v for k, v in self.outcomes.items() if k != "ok"}
        manifest = {
            "run_id": self.run_id,
            "spider": getattr(spider, "name", None),
            "arguments": getattr(spider, "run_args", {}),
            "command": sys.argv,
            "started_at": self.started_at.isoformat(),
            "finished_at": finished.isoformat(),
            "status": status,
            "versions": _versions(),
            "counts": {
                "rows": self.writer.row_counts,
                "sites_with_documents": len(self.sites_with_docs),
                "documents_per_snapshot": dict(sorted(self.docs_per_snapshot.items())),
                "fetch_outcomes": dict(sorted(self.outcomes.items())),
                "failures_by_reason": dict(sorted(failures.items())),
                "fetch_outcomes_unchanged": self.unchanged,
                "snapshots_already_stored": stats.get_value(
                    "policyarchive/skipped/already_stored", 0
                ),
                "commits": self.commits,
            },
            "files": [
                {
                    "dataset": f.dataset,
                    "snapshot": f.snapshot,
                    "path": str(f.path),
                    "rows": f.rows,
                    "sha256": f.sha256,
                }
                for f in files
            ],
        }
        write_json_atomic(self.out_dir / "runs" / f"{self.run_id}.json", manifest)
        self._write_card()
        self.state.run_finished(self.run_id, finished.isoformat(), status)
        self.state.close()
        self.state = None
        if self.shared is not None and self.prior is not None:
            # this node is done: its record joins the output's, for later runs and `status`
            fold_node(self.out_dir, node_dir(self.out_dir, self.shared.node), self.prior)
            self.prior.close()
        self.prior = None
        for fd in (self.node_lock_fd, self.lock_fd):
            if fd is not None:
                os.close(fd)
        self.lock_fd = self.node_lock_fd = None
        if self.shared is not None:
            self.shared.close()
            self.shared = None
        logger.info("run %s %s: %s", self.run_id, status, json.dumps(manifest["counts"]))
