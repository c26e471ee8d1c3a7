"""The review desk: a Flask application over one gaiji set, its candidates and its record.

Create it with :func:`create_app`; serve it with :func:`gaiji.review.server.serve` (waitress,
a production WSGI server — never Flask's development server).

Safety: on loopback without accounts a reviewer only types a name; listening anywhere else
needs accounts (``SET/reviewers.json``). Every POST carries the session's CSRF token; the
Host header must name this server (no DNS rebinding); every text reaches the page through
Jinja autoescaping or ``textContent``; only files inside ``SET/glyphs/`` are ever served.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import (
    Flask,
    Response,
    abort,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from gaiji.errors import GaijiError
from gaiji.match.trust import NO_MATCH_SUGGEST as NO_MATCH_SUGGESTED
from gaiji.review.accounts import (
    AccountBook,
    AccountError,
    is_loopback,
    name_problem,
    new_token,
    tokens_match,
    verify_password,
)
from gaiji.review.gaijiset import Glyph, load_glyphs
from gaiji.review.pictures import MJ_PATTERN, Pictures
from gaiji.review.search import PAGE_SIZE, desk_search
from gaiji.review.state import AUTO_REVIEWER, CLASSES, SPOT_CHECK, ItemState
from gaiji.review.store import ReviewError, ReviewStore
from gaiji.review.throttle import LoginThrottle

CANDIDATES_SHOWN = 9
SET_HITS_SHOWN = 12  # entries of each added set joining the first page of a search
VARIANT_QUESTION = (0.9, 0.6)  # ucs_confidence at or above, confidence below: ask "which variant?"
CONFIDENCE_BANDS = {"low": (0.0, 0.5), "mid": (0.5, 0.9), "high": (0.9, 1.01)}
SPOT_CHECK_MAX = 48
PICTURE_SIZES = (64, 128, 256)
ORDERS = ("usage", "confidence", "set")


def record_auto_accepts(store: ReviewStore, glyphs: dict[str, Glyph], reference_version: str) -> int:
    """Put the matcher's auto-accepts (rank 1, ``auto_accept`` = 1) into the record, once."""
    added = 0
    for glyph in glyphs.values():
        top = glyph.candidates[0] if glyph.candidates else None
        if top is None or not top.auto_accept or top.rank != 1:
            continue
        if store.record_auto_accept(glyph.gaiji_id, top.as_row(), reference_version=reference_version):
            added += 1
    return added


def _record_fields(reference: Any, mj: str) -> dict[str, Any]:
    """What the desk shows about one MJ glyph (empty fields when the reference lacks it)."""
    try:
        rec = reference.record(mj)
    except KeyError:
        return {"mj": mj, "known": False}
    return {
        "mj": rec.mj,
        "known": True,
        "char": rec.char,
        "ucs": rec.ucs,
        "ivs": rec.ivs,
        "readings": list(rec.readings)[:8],
        "radicals": [list(r) for r in rec.radicals],
        "total_strokes": rec.total_strokes,
        "juki": rec.juki,
        "koseki": rec.koseki,
        "has_glyph": rec.has_glyph,
    }


def _set_record_fields(ref_sets: dict[str, Any], name: str, set_id: str) -> dict[str, Any]:
    """What the desk shows about one entry of an added reference set (``known`` False when
    the set is not installed here or lacks the identifier)."""
    ref_set = ref_sets.get(name)
    try:
        rec = ref_set.record(set_id) if ref_set is not None else None
    except KeyError:
        rec = None
    if ref_set is None or rec is None:
        return {"mj": "", "ref_set": name, "ref_id": set_id, "key": f"{name}:{set_id}", "known": False}
    return {
        "mj": "",
        "ref_set": name,
        "ref_id": rec.id,
        "key": f"{name}:{rec.id}",
        "known": True,
        "char": rec.char,
        "ucs": rec.ucs,
        "ivs": rec.ivs,
        "private_use": rec.private_use,
        "readings": list(rec.readings)[:8],
        "radicals": [[rec.radical, rec.inner_strokes or 0]] if rec.radical is not None else [],
        "total_strokes": rec.total_strokes,
        "juki": rec.juki,
        "koseki": rec.koseki,
        "related_mj": rec.related_mj,
        "font_name": rec.font_name,
        "ref_set_version": ref_set.version_label,
        "has_glyph": rec.has_glyph,
    }


def _matcher_notes(glyph: Glyph) -> dict[str, Any]:
    """What the matcher's rank-1 evidence says beyond numbers: the MJ glyph an edited gaiji looks
    like turned back, and rank 1's look-alike of another character (match v2; none for v1)."""
    from gaiji.match.verified import evidence_notes

    top = glyph.candidates[0] if glyph.candidates else None
    notes = evidence_notes(top.evidence.get("evidence", "")) if top is not None else {}
    return {"edited": notes.get("edited"), "lookalike": notes.get("lookalike")}


def _item_row(glyph: Glyph, item: ItemState, reviewer: str) -> dict[str, Any]:
    top = glyph.candidates[0] if glyph.candidates else None
    state = item.state
    mine = reviewer in item.proposals
    final = item.is_final()
    return {
        "id": glyph.gaiji_id,
        "state": state,
        "final": final,
        "usage": glyph.usage_count,
        "confidence": glyph.confidence,
        "reading": glyph.reading,
        "code": glyph.code,
        "source": glyph.source,
        "top": top.char if top else "",
        "mine": mine,
        "todo": state == "pending" or state == "disputed" or (state == "decided" and not mine and not final),
    }


def _sort_rows(rows: list[dict[str, Any]], order: str, glyphs: dict[str, Glyph]) -> list[dict[str, Any]]:
    if order == "usage":
        return sorted(rows, key=lambda r: (-r["usage"], glyphs[r["id"]].order))
    if order == "confidence":
        return sorted(
            rows,
            key=lambda r: (-1.0 if r["confidence"] is None else r["confidence"], glyphs[r["id"]].order),
        )
    return sorted(rows, key=lambda r: glyphs[r["id"]].order)


class _Refused(Exception):
    """A request the desk answers with a clear error (status + message)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def create_app(
    set_dir: str | Path,
    *,
    reference: Any,
    candidates_path: str | Path | None = None,
    host: str = "127.0.0.1",
    secret_key: str | None = None,
    proposals_path: str | Path | None = None,
    secure_cookies: bool = False,
    signing_key: str | Path | None = None,
    witness: str | Path | None = None,
    ref_sets: list[Any] | None = None,
) -> Flask:
    """Build the review desk for *set_dir*. *reference* is a loaded
    :class:`gaiji.reference.Reference`. Raises :class:`AccountError` when *host* is not
    loopback and the set has no reviewer accounts. *secure_cookies* marks the session
    cookie Secure (behind an HTTPS proxy). Events are signed with *signing_key* and
    witnessed in *witness* (see :meth:`ReviewStore.open`). *ref_sets* are the added reference
    sets a reviewer may choose from besides MJ (default: those installed beside the reference,
    ``gaiji reference sets``); a choice records (set, identifier)."""
    set_dir = Path(set_dir)
    if ref_sets is None:
        from gaiji.reference.refsets import load_sets

        try:
            ref_sets = load_sets(Path(reference.home).parent)
        except (GaijiError, OSError, AttributeError, TypeError):
            ref_sets = []
    sets_by_name = {s.name: s for s in ref_sets}
    glyphs = load_glyphs(set_dir, Path(candidates_path) if candidates_path else None)
    if proposals_path:
        from gaiji.review.proposals import load_proposals

        proposals = load_proposals(proposals_path)  # evidence from a corpus, never a decision
    else:
        proposals = {}
    store = ReviewStore.open(set_dir, signing_key=signing_key, witness=witness)
    book = AccountBook(set_dir)
    loopback = is_loopback(host)
    if not loopback and not book.current():
        raise AccountError(
            f"listening on {host} lets other machines reach the desk, so reviewers must sign in: "
            f"create accounts first with `gaiji review add-reviewer {set_dir} NAME`, "
            "or keep the default --host 127.0.0.1"
        )
    reference_version = str(getattr(reference, "version_label", ""))
    record_auto_accepts(store, glyphs, reference_version)
    pictures = Pictures(set_dir, reference, sets_by_name)

    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secret_key or secrets.token_hex(32),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=bool(secure_cookies),
        MAX_CONTENT_LENGTH=64 * 1024,
        JSON_SORT_KEYS=False,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    sources = sorted({gl.source for gl in glyphs.values()})
    throttle = LoginThrottle()
    # sessions live here too: a cookie copied before sign-out (or before a restart) is dead
    live_sessions: dict[str, str] = {}  # session id → reviewer
    app.extensions["gaiji_review"] = {"store": store, "glyphs": glyphs, "reference": reference,
                                      "throttle": throttle, "sessions": live_sessions}
    allowed_hosts = {"127.0.0.1", "localhost", "::1", host.strip("[]")}

    # -- request guards ------------------------------------------------------------------
    @app.before_request
    def guard() -> Any:
        if loopback:
            hostname = (request.host.rsplit(":", 1)[0] if not request.host.startswith("[")
                        else request.host[1:].split("]", 1)[0])
            if hostname not in allowed_hosts:
                abort(400, description="unexpected Host header")  # DNS-rebinding guard
        if "csrf" not in session:
            session["csrf"] = new_token()
        g.reviewer, g.role = _signed_in_reviewer()
        if request.method == "POST":
            given = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token")
            if not tokens_match(session.get("csrf"), given):
                return _error(403, "missing or wrong CSRF token: reload the page")
        if request.endpoint in ("login", "static", "favicon") or g.reviewer:
            return None
        if request.path.startswith("/api/"):
            return _error(401, "sign in first")
        return redirect(url_for("login"))

    def _signed_in_reviewer() -> tuple[str | None, str | None]:
        """The reviewer of this request's session and their role — (None, None) when the
        session was signed out, or the account was removed or got a new password since."""
        name, sid = session.get("reviewer"), session.get("sid")
        if not name:
            return None, None
        accounts = book.current()
        account = accounts.get(name)
        alive = live_sessions.get(str(sid)) == name
        if accounts:
            alive = alive and account is not None and tokens_match(account.fingerprint, session.get("fp"))
        elif not loopback or session.get("fp"):
            alive = False  # accounts were removed: nobody signed in with one is valid any more
        if not alive:
            live_sessions.pop(str(sid), None)
            session.pop("reviewer", None)
            return None, None
        return name, (account.role if account else "reviewer")

    @app.after_request
    def headers(response: Response) -> Response:
        if request.path.startswith("/api/") or request.endpoint in ("login", "desk"):
            response.headers["Cache-Control"] = "no-store"
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; "
            "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        return response

    def _error(status: int, message: str) -> Response:
        response = jsonify({"error": message})
        response.status_code = status
        return response

    @app.errorhandler(_Refused)
    def refused(exc: _Refused) -> Response:
        return _error(exc.status, exc.message)

    @app.errorhandler(GaijiError)
    def gaiji_error(exc: GaijiError) -> Response:
        return _error(409 if isinstance(exc, ReviewError) else 400, str(exc))

    # -- pages ---------------------------------------------------------------------------
    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        message, status = "", 200
        accounts = book.current()
        if request.method == "POST":
            name = (request.form.get("name") or "").strip()
            password = request.form.get("password") or ""
            address = request.remote_addr or ""
            wait = throttle.wait_seconds(name, address)
            problem = name_problem(name)
            if problem:
                message, status = f"{problem}.", 401
            elif not accounts and not loopback:
                # reviewers.json went away while the desk listens beyond loopback: nobody gets in
                message, status = "This desk has no reviewer accounts any more: ask the administrator.", 503
            elif wait > 0:
                message, status = f"Too many wrong passwords: wait {wait:.0f} s and try again.", 429
            elif accounts and not verify_password(accounts, name, password):
                delay = throttle.failed(name, address)
                message = f"Unknown reviewer or wrong password (next try in {delay:.0f} s)."
                status = 401
            else:
                throttle.succeeded(name, address)
                live_sessions.pop(str(session.get("sid")), None)
                session.clear()
                sid = new_token()
                live_sessions[sid] = name
                session.update(reviewer=name, sid=sid, csrf=new_token(),
                               fp=accounts[name].fingerprint if accounts else "")
                return redirect(url_for("desk"))
        return render_template(
            "login.html", message=message, need_password=bool(accounts), csrf=session["csrf"],
            set_name=set_dir.name,
        ), status

    @app.post("/logout")
    def logout() -> Any:
        live_sessions.pop(str(session.get("sid")), None)
        session.clear()
        return redirect(url_for("login"))

    @app.get("/")
    def desk() -> str:
        return render_template(
            "desk.html",
            reviewer=g.reviewer,
            role=g.role,
            csrf=session["csrf"],
            set_name=set_dir.name,
            reference_version=reference_version,
            classes=CLASSES,
        )

    @app.get("/favicon.ico")
    def favicon() -> Response:
        return Response(status=204)

    # -- JSON API ------------------------------------------------------------------------
    def _rows() -> tuple[list[dict[str, Any]], dict[str, int], bool]:
        two_person = store.two_person
        states = store.states()
        rows = [_item_row(gl, states.get(gid) or ItemState(gid), g.reviewer) for gid, gl in glyphs.items()]
        counts = dict.fromkeys(("pending", "auto-accepted", "decided", "checked", "disputed"), 0)
        for row in rows:
            counts[row["state"]] += 1
        counts["todo"] = sum(1 for r in rows if r["todo"])
        return rows, counts, two_person

    @app.get("/api/queue")
    def queue() -> Response:
        """The queue, filtered (``state``: todo, all or one state) and ordered (``order``)."""
        state, order = request.args.get("state", "todo"), request.args.get("order", "usage")
        band, source = request.args.get("confidence", ""), request.args.get("source", "")
        rows, counts, two_person = _rows()
        if state == "todo":
            rows = [r for r in rows if r["todo"]]
        elif state in counts:
            rows = [r for r in rows if r["state"] == state]
        if band in CONFIDENCE_BANDS:
            low, high = CONFIDENCE_BANDS[band]
            rows = [r for r in rows if r["confidence"] is not None and low <= r["confidence"] < high]
        elif band == "none":
            rows = [r for r in rows if r["confidence"] is None]
        if source:
            rows = [r for r in rows if r["source"] == source]
        return jsonify({"items": _sort_rows(rows, order if order in ORDERS else "usage", glyphs),
                        "counts": counts, "two_person": two_person, "total": len(glyphs), "role": g.role,
                        "sources": sources, "shown": len(rows)})

    @app.get("/api/counts")
    def counts() -> Response:
        _, counts, two_person = _rows()
        return jsonify({"counts": counts, "two_person": two_person, "total": len(glyphs)})

    def _glyph(gid: str) -> Glyph:
        glyph = glyphs.get(gid)
        if glyph is None:
            abort(404)
        return glyph

    def _candidate_view(gid: str, fields: dict[str, Any]) -> dict[str, Any]:
        mj = fields.get("key") or fields["mj"]  # an added set's entry is pictured by SET:ID
        if fields.get("known") and fields.get("has_glyph", True):
            fields["image_url"] = url_for("mj_picture", mj=mj, px=128)
            fields["overlay_url"] = url_for("overlay_picture", gid=gid, mj=mj)  # ?px=256|512 zooms
        return fields

    def _variant_question(gid: str, glyph: Glyph) -> dict[str, Any] | None:
        """When the matcher is sure of the character but not of its variant: just the
        character's variants (the IVS siblings) to choose from."""
        top = glyph.candidates[0] if glyph.candidates else None
        if top is None or top.ucs_confidence is None or top.confidence is None:
            return None
        if not (top.ucs_confidence >= VARIANT_QUESTION[0] and top.confidence < VARIANT_QUESTION[1]):
            return None
        base = top.char[:1] or (chr(int(top.ucs.removeprefix("U+"), 16)) if top.ucs.startswith("U+") else "")
        if not base:
            return None
        siblings = [r for r in reference.by_char(base, limit=60) if r.ucs == top.ucs and r.has_glyph]
        if len(siblings) < 2:
            return None
        return {"char": base, "ucs": top.ucs, "ucs_confidence": top.ucs_confidence,
                "confidence": top.confidence,
                "siblings": [_candidate_view(gid, _record_fields(reference, r.mj)) for r in siblings]}

    @app.get("/api/item/<gid>")
    def item(gid: str) -> Response:
        glyph = _glyph(gid)
        state = store.state(gid)
        candidates = []
        for cand in glyph.candidates[:CANDIDATES_SHOWN]:
            fields = (_set_record_fields(sets_by_name, cand.ref_set, cand.ref_id) if cand.in_added_set
                      else _record_fields(reference, cand.mj))
            fields.setdefault("char", cand.char)
            fields.update(rank=cand.rank, score=cand.score, confidence=cand.confidence,
                          auto_accept=cand.auto_accept, evidence=cand.evidence,
                          no_match=cand.no_match, ucs_confidence=cand.ucs_confidence)
            candidates.append(_candidate_view(gid, fields))
        views = []
        for p in state.ordered():
            view = p.as_dict()
            key = p.target
            if key and (p.mj or p.ref_set in sets_by_name):
                view["image_url"] = url_for("mj_picture", mj=key, px=128)
                view["overlay_url"] = url_for("overlay_picture", gid=gid, mj=key)
            views.append(view)
        return jsonify({
            "id": gid,
            "glyph": {k: getattr(glyph, k) for k in ("source", "code", "width", "height", "reading",
                                                     "usage_count", "note")},
            "image_url": url_for("gaiji_picture", gid=gid),
            "candidates": candidates,
            "state": state.state,
            "final": state.is_final(),
            "views": views,
            "settled_by": state.settled_by,
            "mine": g.reviewer in state.proposals,
            "corpus": proposals.get(gid),
            "can_undo": state.undo_refusal(g.reviewer) is None,
            "two_person": store.two_person,
            "no_match": (glyph.candidates[0].no_match if glyph.candidates else None),
            "suggest_no_match": bool(glyph.candidates and (glyph.candidates[0].no_match or 0) >= NO_MATCH_SUGGESTED),
            "variant_question": _variant_question(gid, glyph),
            **_matcher_notes(glyph),
        })

    @app.get("/api/search")
    def search() -> Response:
        """One page of search results, counted (see :mod:`gaiji.review.search`)."""
        query = (request.args.get("q") or "").strip()[:100]
        gid = request.args.get("gaiji_id", "")
        page = request.args.get("page", 1, type=int) or 1
        if not query:
            return jsonify({"query": query, "results": [], "total": 0, "page": 1, "pages": 1})
        try:
            glyph = glyphs.get(gid)
            found = desk_search(reference, query, page=page,
                                likely_mjs=[c.mj for c in glyph.candidates] if glyph else (),
                                likely_readings=glyph.reading if glyph else "")
        except ValueError as exc:
            return _error(400, f"cannot search for {query!r}: {exc}")
        results = []
        for rec, matched_as in found.hits:
            fields = _record_fields(reference, rec.mj)
            fields["matched_as"] = matched_as
            results.append(_candidate_view(gid, fields) if gid in glyphs else fields)
        # the added sets' entries (by identifier, character, U+XXXX, reading or related MJ) join
        # the first page: before MJ's, unless the query is a reading (everyday MJ characters first)
        set_results = []
        if found.page == 1:
            for ref_set in sets_by_name.values():
                for rec in ref_set.search(query, limit=SET_HITS_SHOWN):
                    fields = _set_record_fields(sets_by_name, ref_set.name, rec.id)
                    fields["matched_as"] = "set"
                    set_results.append(_candidate_view(gid, fields) if gid in glyphs else fields)
        from gaiji.readings import is_kana_query

        results = results + set_results if is_kana_query(query) else set_results + results
        return jsonify({"query": found.query, "results": results, "total": found.total + len(set_results),
                        "set_hits": len(set_results), "page": found.page,
                        "pages": found.pages, "page_size": PAGE_SIZE, "note": found.note, "read_as": found.read_as,
                        "truncated": found.truncated})

    # -- batch spot-check of auto-accepted rows ---------------------------------------------
    # The desk draws each sample and records it before showing it (gaiji.review.audit counts a
    # sample from its draw): a sample cannot be chosen, nor drawn again until it looks good.
    def _spot_items(gids: list[str], states: dict[str, ItemState]) -> list[dict[str, Any]]:
        items = []
        for gid in sorted(gids, key=lambda gid: glyphs[gid].order):
            auto = states[gid].proposals[AUTO_REVIEWER]
            items.append({"id": gid, "mj": auto.mj, "char": auto.char, "image_url": url_for("gaiji_picture", gid=gid),
                          "mj_url": url_for("mj_picture", mj=auto.mj, px=128) if auto.mj else None,
                          "overlay_url": url_for("overlay_picture", gid=gid, mj=auto.mj) if auto.mj else None,
                          "confidence": glyphs[gid].confidence})
        return items

    def _still_open(gid: str, states: dict[str, ItemState]) -> bool:
        item = states.get(gid)
        return (gid in glyphs and item is not None and item.state == "auto-accepted"
                and AUTO_REVIEWER in item.proposals and g.reviewer not in item.proposals)

    def _pending_sample(states: dict[str, ItemState]) -> tuple[str | None, list[str]]:
        """This reviewer's latest sample drawn and not closed, with its gaiji still to be shown."""
        drawn: dict[str, list[str]] = {}
        closed: set[tuple[str, str]] = set()
        for ev in store.events_of_kind(SPOT_CHECK):
            if ev.reviewer != g.reviewer:
                continue
            sample = str(ev.body.get("sample") or "")
            if ev.body.get("outcome") == "drawn":
                drawn.setdefault(sample, []).append(ev.gaiji_id)
            else:
                closed.add((sample, ev.gaiji_id))
        for sample in reversed(list(drawn)):
            gids = [gid for gid in drawn[sample] if (sample, gid) not in closed and _still_open(gid, states)]
            if gids:
                return sample, gids
        return None, []

    @app.get("/api/spotcheck")
    def spotcheck_status() -> Response:
        """This reviewer's sample drawn and not yet closed (if any), how many auto-accepts they
        have not looked at, and the audit so far."""
        states = store.states()
        remaining = sum(1 for gid in states if _still_open(gid, states))
        sample, pending = _pending_sample(states)
        return jsonify({"sample": sample, "items": _spot_items(pending, states), "remaining": remaining,
                        "audit": _audit_summary()})

    @app.post("/api/spotcheck/draw")
    def spotcheck_draw() -> Response:
        """Draw a random sample of N auto-accepted gaiji this reviewer has not looked at yet and
        record it as drawn (its gaiji count as sampled from now on, open until decided)."""
        data = request.get_json(silent=True)
        data = data if isinstance(data, dict) else {}
        try:
            n = max(1, min(SPOT_CHECK_MAX, int(data.get("n") or 12)))
        except (TypeError, ValueError):
            return _error(400, f'send {{"n": N}}, N a whole number from 1 to {SPOT_CHECK_MAX}')
        states = store.states()
        open_ = [gid for gid in states if _still_open(gid, states)]
        sample = secrets.token_hex(8)
        recorded = []
        for gid in random.SystemRandom().sample(open_, min(n, len(open_))):
            try:
                store.record_spot_check(gid, g.reviewer, sample=sample, outcome="drawn",
                                        request_id=f"{sample}:{gid}:drawn")
            except ReviewError:  # decided meanwhile: no longer an auto-accept to measure
                continue
            recorded.append(gid)
        return jsonify({"sample": sample, "items": _spot_items(recorded, states), "remaining": len(open_),
                        "audit": _audit_summary()})

    def _audit_summary() -> dict[str, Any]:
        from gaiji.review.audit import spot_check_audit

        audit = spot_check_audit(store)
        return {"sampled": audit.sampled, "right": audit.right, "wrong": len(audit.wrong), "open": audit.open,
                "precision_lower95": round(audit.precision_lower, 4), "verdict": audit.verdict,
                "more_needed": audit.more_needed(), "promise_max_error": audit.promise,
                "drawn_not_closed": audit.drawn_not_closed,
                "wrong_outside_samples": len(audit.overturned_by_choice)}

    def _drawn(sample: str) -> list[str]:
        """The gaiji the desk drew into ``sample`` for this reviewer (in the order drawn)."""
        return [ev.gaiji_id for ev in store.events_of_kind(SPOT_CHECK) if ev.reviewer == g.reviewer
                and ev.body.get("sample") == sample and ev.body.get("outcome") == "drawn"]

    @app.post("/api/spotcheck")
    def spotcheck_confirm() -> Response:
        """Close a drawn sample: confirm the auto-accepts in ``ids`` (one decision event per gaiji,
        agreeing with it); every other gaiji of the sample is recorded as left out."""
        data = request.get_json(silent=True)
        if not isinstance(data, dict) or not isinstance(data.get("ids"), list):
            return _error(400, 'send {"sample": ID, "ids": [...], "confirm": true}')
        sample = str(data.get("sample") or "")[:60]
        drawn = _drawn(sample) if sample else []
        if not drawn:
            return _error(400, "confirm the sample the desk drew for you: draw one first "
                               '(POST /api/spotcheck/draw) and send its "sample" id')
        ids = [str(i) for i in data["ids"]]
        foreign = [i for i in ids if i not in drawn]
        if foreign:
            return _error(400, f"not in sample {sample}: {', '.join(foreign[:10])} — only the gaiji drawn "
                               "into a sample can be confirmed with it")
        if ids and not data.get("confirm"):
            return _needs_confirmation("confirming a batch of auto-accepted gaiji")
        batch = str(data.get("request_id") or "")[:60]
        done, skipped = [], []
        # every gaiji of the sample is recorded as closed (gaiji.review.audit measures from them)
        for gid in drawn:
            if gid in ids:
                continue
            try:
                store.record_spot_check(gid, g.reviewer, sample=sample, outcome="left_out",
                                        request_id=f"{sample}:{gid}:closed")
            except ReviewError:  # decided meanwhile: its outcome is that decision
                pass
        for gid in ids:
            glyph = glyphs.get(gid)
            item = store.state(gid)
            auto = item.proposals.get(AUTO_REVIEWER)
            if glyph is None or item.state != "auto-accepted" or auto is None:
                skipped.append(gid)  # changed meanwhile: shown, not silently confirmed
                continue
            try:
                store.record_spot_check(gid, g.reviewer, sample=sample, outcome="confirmed",
                                        request_id=f"{sample}:{gid}:closed")
            except ReviewError:
                skipped.append(gid)  # decided meanwhile
                continue
            fields = {"mj": auto.mj, "char": auto.char, "ucs": auto.ucs, "ivs": auto.ivs}
            store.record_decision(gid, g.reviewer, fields, auto.identification_class,
                                  "spot-check: batch confirmed", shown_candidates=[c.as_row() for c in glyph.candidates[:1]],
                                  reference_version=reference_version,
                                  request_id=f"{batch}:{gid}" if batch else f"{sample}:{gid}:decision")
            done.append(gid)
        return jsonify({"confirmed": done, "skipped": skipped, "left_out": [i for i in drawn if i not in ids]})

    def _json_object() -> dict[str, Any]:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise _Refused(400, "send the decision as a JSON object")
        return data

    def _decision_input(data: dict[str, Any]) -> tuple[str, Glyph, dict[str, Any] | None, str, str, str | None]:
        gid = str(data.get("gaiji_id", ""))
        glyph = _glyph(gid)
        mj = data.get("mj")
        choice = None
        if data.get("ref_set") and str(data["ref_set"]) != "MJ":
            fields = _set_record_fields(sets_by_name, str(data["ref_set"]), str(data.get("ref_id") or ""))
            if not fields.get("known"):
                raise _Refused(400, f"{fields['ref_set']} {fields['ref_id']} is not an entry of an added reference set "
                                    f"installed here ({', '.join(sets_by_name) or 'none installed'})")
            choice = {k: fields[k] for k in ("ref_set", "ref_id", "char", "ucs", "ivs", "font_name", "ref_set_version")}
        elif mj:
            mj = str(mj)
            fields = _record_fields(reference, mj) if MJ_PATTERN.match(mj) else {"known": False}
            if not fields.get("known"):
                raise _Refused(400, f"{mj} is not in the reference ({reference_version})")
            choice = {k: fields[k] for k in ("mj", "char", "ucs", "ivs")}
        request_id = str(data["request_id"])[:100] if data.get("request_id") else None
        return gid, glyph, choice, str(data.get("class", "")), str(data.get("comment") or ""), request_id

    def _answer(glyph: Glyph, event: Any) -> Response:
        # the event is durable (synchronous=FULL commit) before this response is sent
        after = store.state(glyph.gaiji_id)
        return jsonify({
            "event": {"seq": event.seq, "at": event.at, "hash": event.hash, "kind": event.kind},
            "item": _item_row(glyph, after, g.reviewer),
            "can_undo": after.undo_refusal(g.reviewer) is None,
        })

    def _needs_confirmation(what: str) -> Response:
        response = jsonify({"error": f"{what} needs confirmation: send it again with \"confirm\": true",
                            "needs_confirmation": True})
        response.status_code = 428
        return response

    @app.post("/api/decide")
    def decide() -> Response:
        """One reviewer's decision. 該当なし needs ``confirm``; a disagreement is settled
        through /api/settle, never by a decision."""
        data = _json_object()
        gid, glyph, choice, cls, comment, request_id = _decision_input(data)
        if choice is None and not data.get("confirm"):
            return _needs_confirmation("該当なし (no MJ character)")
        event = store.record_decision(
            gid, g.reviewer, choice, cls, comment,
            shown_candidates=[c.as_row() for c in glyph.candidates[:CANDIDATES_SHOWN]],
            reference_version=reference_version, request_id=request_id,
        )
        return _answer(glyph, event)

    @app.post("/api/settle")
    def settle() -> Response:
        """Settle a disagreement: ``basis`` names the reviewer whose view is adopted, or
        ``"third"`` (with a comment saying why); always with ``confirm``."""
        data = _json_object()
        gid, glyph, choice, cls, comment, request_id = _decision_input(data)
        basis = str(data.get("basis") or "")
        if not basis:
            return _error(400, "say which view settles it: \"basis\" is a reviewer's name or \"third\"")
        if not data.get("confirm"):
            return _needs_confirmation("settling a disagreement")
        event = store.settle(gid, g.reviewer, choice, cls, comment, reference_version,
                             basis=basis, request_id=request_id)
        return _answer(glyph, event)

    @app.post("/api/undo")
    def undo() -> Response:
        """Withdraw the signed-in reviewer's latest decision on a gaiji (while unconfirmed)."""
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return _error(400, "send {\"gaiji_id\": …} as a JSON object")
        glyph = _glyph(str(data.get("gaiji_id", "")))
        request_id = str(data["request_id"])[:100] if data.get("request_id") else None
        event = store.undo(glyph.gaiji_id, g.reviewer, request_id=request_id)
        return _answer(glyph, event)

    @app.post("/api/settings")
    def settings() -> Response:
        if g.role != "administrator":
            return _error(403, "only an administrator changes the set's settings: ask one, or have "
                               "one run `gaiji review settings`")
        data = request.get_json(silent=True) or {}
        if "two_person" not in data:
            return _error(400, "nothing to change: send {\"two_person\": true|false}")
        store.set_two_person(bool(data["two_person"]), g.reviewer, role="administrator")
        return jsonify({"two_person": store.two_person})

    # -- pictures ------------------------------------------------------------------------
    def _png(make: Callable[[], bytes]) -> Response:
        try:
            data = make()
        except KeyError:
            abort(404)
        response = Response(data, mimetype="image/png")
        response.headers["Cache-Control"] = "private, max-age=3600"
        return response

    @app.get("/glyph/<gid>.png")
    def gaiji_picture(gid: str) -> Response:
        glyph = _glyph(gid)
        return _png(lambda: pictures.cache.get(("gaiji", glyph.image), lambda: _gaiji_png(glyph)))

    def _gaiji_png(glyph: Glyph) -> bytes:
        from gaiji.review.pictures import png_bytes

        return png_bytes(pictures.gaiji_picture(glyph.image))

    @app.get("/mj/<mj>.png")
    def mj_picture(mj: str) -> Response:
        px = request.args.get("px", 128, type=int)
        if px not in PICTURE_SIZES:
            abort(404)
        return _png(lambda: pictures.candidate_png(mj, px))

    @app.get("/overlay/<gid>/<mj>.png")
    def overlay_picture(gid: str, mj: str) -> Response:
        """Aligned overlay with 1-px fringes suppressed; ``px`` 128/256/512 zooms, ``raw=1``
        gives the unaligned one."""
        glyph = _glyph(gid)
        px = request.args.get("px", 128, type=int)
        raw = request.args.get("raw") == "1"
        return _png(lambda: pictures.overlay_png(glyph.image, mj, px, aligned=not raw))

    return app
