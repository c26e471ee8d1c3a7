"""The review desk through Flask's test client: sign-in, CSRF, escaping, file access, the
decision API and the pictures — against the real MJ reference."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gaiji.errors import ContractError
from gaiji.review.accounts import AccountError, add_reviewer
from gaiji.review.app import create_app
from gaiji.review.pictures import CANDIDATE_ONLY, GAIJI_ONLY
from gaiji.review.store import ReviewError, ReviewStore

pytestmark = pytest.mark.reference


def csrf_of(html: str) -> str:
    match = re.search(r'(?:data-csrf|name="csrf_token" value)="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def signed_in(app, name: str = "sato", password: str | None = None):  # type: ignore[no-untyped-def]
    client = app.test_client()
    token = csrf_of(client.get("/login").text)
    data = {"name": name, "csrf_token": token}
    if password is not None:
        data["password"] = password
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.text
    client.csrf = csrf_of(client.get("/").text)  # type: ignore[attr-defined]
    return client


def post(client, path: str, **body):  # type: ignore[no-untyped-def]
    return client.post(path, json=body, headers={"X-CSRF-Token": client.csrf})


def decide(client, gid: str, mj: str | None, cls: str, **extra):  # type: ignore[no-untyped-def]
    return client.post("/api/decide", json={"gaiji_id": gid, "mj": mj, "class": cls, **extra},
                       headers={"X-CSRF-Token": client.csrf})


@pytest.fixture()
def app(gaiji_set: Path, reference):  # type: ignore[no-untyped-def]
    return create_app(gaiji_set, reference=reference)


# -- sign-in and request safety -----------------------------------------------------------


def test_pages_and_api_need_a_reviewer(app) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    assert client.get("/").status_code == 302
    assert client.get("/api/queue").status_code == 401
    assert client.get("/glyph/E001.png").status_code == 302


def test_posts_without_the_csrf_token_are_refused(app) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(app)
    body = {"gaiji_id": "E001", "mj": "MJ025760", "class": "字形一致"}
    assert client.post("/api/decide", json=body).status_code == 403
    assert client.post("/api/decide", json=body, headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert client.post("/logout").status_code == 403
    fresh = app.test_client()
    fresh.get("/login")
    assert fresh.post("/login", data={"name": "mallory"}).status_code == 403
    assert decide(client, "E001", "MJ025760", "字形一致").status_code == 200
    assert len(list(ReviewStore.open(app.extensions["gaiji_review"]["store"].set_dir).events(gaiji_id="E001"))) == 1


def test_foreign_host_header_is_refused_on_loopback(app) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    assert client.get("/login", headers={"Host": "evil.example:8765"}).status_code == 400
    assert client.get("/login", headers={"Host": "localhost:8765"}).status_code == 200


def test_other_hosts_need_accounts(gaiji_set: Path, reference) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(AccountError, match="add-reviewer"):
        create_app(gaiji_set, reference=reference, host="0.0.0.0")
    add_reviewer(gaiji_set, "sato", "correct horse battery")
    assert oct((gaiji_set / "reviewers.json").stat().st_mode & 0o777) == "0o600"
    assert "correct horse" not in (gaiji_set / "reviewers.json").read_text()
    app = create_app(gaiji_set, reference=reference, host="0.0.0.0")
    client = app.test_client()
    token = csrf_of(client.get("/login", headers={"Host": "10.0.0.5"}).text)
    bad = client.post("/login", data={"name": "sato", "password": "wrong password", "csrf_token": token},
                      headers={"Host": "10.0.0.5"})
    assert bad.status_code == 401
    assert client.get("/api/queue", headers={"Host": "10.0.0.5"}).status_code == 401
    app.extensions["gaiji_review"]["throttle"].succeeded("sato", "127.0.0.1")  # skip the delay
    good = client.post("/login", data={"name": "sato", "password": "correct horse battery", "csrf_token": token},
                       headers={"Host": "10.0.0.5"})
    assert good.status_code == 302
    assert client.get("/api/queue", headers={"Host": "10.0.0.5"}).status_code == 200
    # the accounts file removed while the desk listens beyond loopback: no one signs in by name alone
    (gaiji_set / "reviewers.json").unlink()
    assert client.get("/api/queue", headers={"Host": "10.0.0.5"}).status_code == 401
    stranger = app.test_client()
    token = csrf_of(stranger.get("/login", headers={"Host": "10.0.0.5"}).text)
    assert stranger.post("/login", data={"name": "mallory", "csrf_token": token},
                         headers={"Host": "10.0.0.5"}).status_code == 503


def test_user_text_is_escaped(app, gaiji_set: Path) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(app, name='<script>alert("x")</script>')
    page = client.get("/").text
    assert '<script>alert("x")</script>' not in page
    assert "&lt;script&gt;alert(" in page
    assert ".innerHTML" not in (Path(app.static_folder) / "desk.js").read_text()
    # JSON carries the note as data; the page puts it in with textContent
    item = client.get("/api/item/E005").get_json()
    assert item["glyph"]["note"] == '<b>note</b> & "quotes"'
    response = client.get("/")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


# -- files --------------------------------------------------------------------------------


def test_only_files_inside_glyphs_are_served(gaiji_set: Path, reference) -> None:  # type: ignore[no-untyped-def]
    secret = gaiji_set.parent / "secret.png"
    Image.new("L", (8, 8), 0).save(secret)
    (gaiji_set / "glyphs" / "link.png").symlink_to(secret)
    rows = (gaiji_set / "glyphs.csv").read_text(encoding="utf-8").splitlines()
    # image paths that leave the set (also through a symlink) are refused when it is read…
    for bad in ("../secret.png", "/etc/passwd", "glyphs/link.png"):
        (gaiji_set / "glyphs.csv").write_text("\n".join([*rows, f"X0,a,U+E100,8,8,,0,,{bad}"]) + "\n",
                                              encoding="utf-8")
        with pytest.raises(ContractError, match="outside the set"):
            create_app(gaiji_set, reference=reference)
    # …and the server serves nothing outside glyphs/ even for paths inside the set
    rows += ["X4,a,U+E103,8,8,,0,,glyphs.csv"]
    (gaiji_set / "glyphs.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    client = signed_in(create_app(gaiji_set, reference=reference))
    assert client.get("/glyph/E001.png").status_code == 200
    assert client.get("/glyph/X4.png").status_code == 404
    for path in ("/glyph/..%2Fsecret.png", "/glyph/../secret.png", "/static/../review.sqlite",
                 "/static/..%2F..%2Freview.sqlite", "/review.sqlite", "/glyphs.csv",
                 "/mj/..%2F..%2Fetc%2Fpasswd.png", "/overlay/E001/..%2Fx.png", "/mj/MJ999999.png"):
        response = client.get(path)
        assert response.status_code in (404, 400), path
        assert b"gaiji_id" not in response.data and b"SQLite" not in response.data


def test_pictures(app) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(app)
    gaiji = Image.open(io.BytesIO(client.get("/glyph/E003.png").data))
    assert gaiji.size == (16, 16)  # true pixels, not resampled
    mj = Image.open(io.BytesIO(client.get("/mj/MJ028902.png?px=128").data))
    assert mj.size == (128, 128)
    assert client.get("/mj/MJ028902.png?px=5000").status_code == 404

    def differing(gid: str, mj: str) -> int:
        arr = np.asarray(Image.open(io.BytesIO(client.get(f"/overlay/{gid}/{mj}.png").data)).convert("RGB"))
        return int((arr == GAIJI_ONLY).all(axis=2).sum() + (arr == CANDIDATE_ONLY).all(axis=2).sum())

    # the 32-px 高 differs from 髙 (MJ028902) in more pixels than from 高 (MJ028901)
    assert differing("E002", "MJ028901") < differing("E002", "MJ028902")


# -- queue, search and decisions ----------------------------------------------------------


def test_auto_accepts_enter_the_record_once(gaiji_set: Path, reference) -> None:  # type: ignore[no-untyped-def]
    create_app(gaiji_set, reference=reference)
    create_app(gaiji_set, reference=reference)
    events = list(ReviewStore.open(gaiji_set).events())
    assert [(e.kind, e.gaiji_id, e.body["mj"]) for e in events] == [("auto_accept", "E002", "MJ028901")]
    assert events[0].body["reference_version"] == reference.version_label


def test_queue_counts_filters_and_orders(app) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(app)
    data = client.get("/api/queue?state=all&order=usage").get_json()
    assert data["counts"]["pending"] == 4 and data["counts"]["auto-accepted"] == 1
    assert [r["id"] for r in data["items"]] == ["E002", "E001", "E004", "E003", "E005"]
    low_first = client.get("/api/queue?state=all&order=confidence").get_json()["items"]
    assert [r["id"] for r in low_first] == ["E005", "E004", "E001", "E003", "E002"]
    todo = client.get("/api/queue?state=todo").get_json()["items"]
    assert "E002" not in [r["id"] for r in todo]
    decide(client, "E001", "MJ025760", "字形一致")
    counts = client.get("/api/counts").get_json()["counts"]
    assert (counts["decided"], counts["pending"], counts["todo"]) == (1, 3, 3)
    # for a second reviewer the decided gaiji is still to do (it needs their check)
    assert signed_in(app, "suzuki").get("/api/counts").get_json()["counts"]["todo"] == 4


def test_search_finds_by_mj_code_and_reading(app) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(app)
    by_mj = client.get("/api/search?q=MJ028902&gaiji_id=E003").get_json()["results"]
    assert [r["mj"] for r in by_mj] == ["MJ028902"] and by_mj[0]["overlay_url"]
    by_code = client.get("/api/search?q=U%2B9AD9").get_json()["results"]
    assert "MJ028902" in [r["mj"] for r in by_code]
    by_reading = client.get("/api/search?q=" + "ツジ").get_json()["results"]
    assert {"MJ025760", "MJ025761"} <= {r["mj"] for r in by_reading}


def test_two_reviewers_and_a_disagreement(app) -> None:  # type: ignore[no-untyped-def]
    sato, suzuki, tanaka = signed_in(app, "sato"), signed_in(app, "suzuki"), signed_in(app, "tanaka")
    first = decide(sato, "E003", "MJ028902", "字形一致", comment="はしご高", request_id="a1").get_json()
    assert first["item"]["state"] == "decided"
    again = decide(sato, "E003", "MJ028902", "字形一致", request_id="a1").get_json()
    assert again["event"]["seq"] == first["event"]["seq"]  # a retried request is not a second decision
    assert decide(suzuki, "E003", "MJ028902", "字形一致").get_json()["item"]["state"] == "checked"
    decide(sato, "E001", "MJ025760", "字形一致")
    assert decide(suzuki, "E001", "MJ025761", "デザイン差").get_json()["item"]["state"] == "disputed"
    item = tanaka.get("/api/item/E001").get_json()
    assert [(v["reviewer"], v["mj"]) for v in item["views"]] == [("sato", "MJ025760"), ("suzuki", "MJ025761")]
    # a decision does not settle a disagreement: settling is an explicit, confirmed choice
    refused_decision = decide(tanaka, "E001", "MJ025761", "デザイン差")
    assert refused_decision.status_code == 409 and "settle" in refused_decision.get_json()["error"]
    unconfirmed = post(tanaka, "/api/settle", gaiji_id="E001", mj="MJ025761", **{"class": "デザイン差"},
                       basis="suzuki")
    assert unconfirmed.status_code == 428 and unconfirmed.get_json()["needs_confirmation"]
    assert post(tanaka, "/api/settle", gaiji_id="E001", mj="MJ025761", **{"class": "デザイン差"},
                confirm=True).status_code == 400  # no basis
    settled = post(tanaka, "/api/settle", gaiji_id="E001", mj="MJ025761", **{"class": "デザイン差"},
                   basis="suzuki", comment="点二つ", confirm=True).get_json()
    assert settled["event"]["kind"] == "settle" and settled["item"]["state"] == "checked"
    # 該当なし needs confirmation too
    assert decide(sato, "E005", None, "該当なし").status_code == 428
    assert decide(sato, "E005", None, "該当なし", confirm=True).status_code == 200
    refused = decide(sato, "E004", "MJ999999", "字形一致")
    assert refused.status_code == 400
    assert decide(sato, "E004", None, "類似", confirm=True).status_code == 409
    store: ReviewStore = app.extensions["gaiji_review"]["store"]
    finals = {f.gaiji_id: f for f in store.final_decisions()}
    assert finals["E003"].char == "髙" and finals["E003"].checked_by == "suzuki"
    assert finals["E001"].ivs == "U+E0103" and finals["E001"].checked_by == "tanaka"
    assert store.verify_chain().ok


def test_undo_through_the_api(app) -> None:  # type: ignore[no-untyped-def]
    sato, suzuki = signed_in(app, "sato"), signed_in(app, "suzuki")
    first = decide(sato, "E003", "MJ028902", "字形一致").get_json()
    assert first["can_undo"] is True
    undone = post(sato, "/api/undo", gaiji_id="E003").get_json()
    assert undone["event"]["kind"] == "undo" and undone["item"]["state"] == "pending"
    decide(sato, "E003", "MJ028902", "字形一致")
    decide(suzuki, "E003", "MJ028902", "字形一致")
    refused = post(sato, "/api/undo", gaiji_id="E003")
    assert refused.status_code == 409 and "suzuki already confirmed" in refused.get_json()["error"]
    assert sato.get("/api/item/E003").get_json()["can_undo"] is False


def test_two_person_switch(gaiji_set: Path, reference) -> None:  # type: ignore[no-untyped-def]
    add_reviewer(gaiji_set, "sato", PASSWORD, role="administrator")
    add_reviewer(gaiji_set, "suzuki", PASSWORD)
    app = create_app(gaiji_set, reference=reference)
    admin, reviewer = signed_in(app, "sato", PASSWORD), signed_in(app, "suzuki", PASSWORD)
    decide(reviewer, "E004", "MJ013049", "字形一致")
    assert reviewer.get("/api/item/E004").get_json()["final"] is False
    # only an administrator changes the setting
    refused = post(reviewer, "/api/settings", two_person=False)
    assert refused.status_code == 403 and "administrator" in refused.get_json()["error"]
    assert 'id="two-person" checked disabled' in reviewer.get("/").text
    assert post(admin, "/api/settings", two_person=False).get_json() == {"two_person": False}
    # not retroactive: E004 was decided under the two-person rule; E003 decided now is final
    assert reviewer.get("/api/item/E004").get_json()["final"] is False
    assert decide(reviewer, "E003", "MJ028902", "字形一致").get_json()["item"]["final"] is True
    (setting,) = [e for e in app.extensions["gaiji_review"]["store"].events() if e.kind == "setting"]
    assert (setting.reviewer, setting.body["role"]) == ("sato", "administrator")


def test_without_accounts_nobody_changes_settings_on_the_desk(app) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(app)
    assert post(client, "/api/settings", two_person=False).status_code == 403


# -- sessions and passwords -----------------------------------------------------------------

PASSWORD = "tsuji-ippon-ten-41"


@pytest.fixture()
def accounts_app(gaiji_set: Path, reference):  # type: ignore[no-untyped-def]
    add_reviewer(gaiji_set, "sato", PASSWORD)
    return create_app(gaiji_set, reference=reference)


def test_a_copied_cookie_dies_at_sign_out(accounts_app) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(accounts_app, "sato", PASSWORD)
    copied = client.get_cookie("session").value
    assert client.post("/logout", data={"csrf_token": client.csrf}).status_code == 302
    thief = accounts_app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/api/queue").status_code == 401
    assert thief.get("/").status_code == 302


def test_a_password_reset_or_removal_ends_sessions(accounts_app, gaiji_set: Path) -> None:  # type: ignore[no-untyped-def]
    from gaiji.review.accounts import remove_reviewer

    client = signed_in(accounts_app, "sato", PASSWORD)
    assert client.get("/api/queue").status_code == 200
    add_reviewer(gaiji_set, "sato", PASSWORD + "-new")  # as `add-reviewer` does beside the running desk
    assert client.get("/api/queue").status_code == 401
    assert signed_in_fails(accounts_app, "sato", PASSWORD)  # the old password no longer works
    accounts_app.extensions["gaiji_review"]["throttle"].succeeded("sato", "127.0.0.1")  # skip the delay
    client = signed_in(accounts_app, "sato", PASSWORD + "-new")
    remove_reviewer(gaiji_set, "sato")
    assert client.get("/api/queue").status_code == 401


def signed_in_fails(app, name: str, password: str) -> bool:  # type: ignore[no-untyped-def]
    client = app.test_client()
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"name": name, "password": password, "csrf_token": token}).status_code != 302


def test_wrong_passwords_meet_a_growing_delay(accounts_app) -> None:  # type: ignore[no-untyped-def]
    now = [1000.0]
    accounts_app.extensions["gaiji_review"]["throttle"].clock = lambda: now[0]
    client = accounts_app.test_client()
    token = csrf_of(client.get("/login").text)

    def attempt(password: str) -> int:
        return client.post("/login", data={"name": "sato", "password": password, "csrf_token": token}).status_code

    assert attempt("wrong one") == 401
    assert attempt(PASSWORD) == 429  # even the right password waits out the delay
    now[0] += 1.1
    assert attempt("wrong two") == 401
    now[0] += 1.1
    assert attempt("wrong three") == 429  # the second delay is 2 s
    now[0] += 1.0
    assert attempt("wrong three") == 401
    now[0] += 3.0
    response = client.post("/login", data={"name": "sato", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 429 and "wait" in response.text  # third delay is 4 s
    now[0] += 1.1
    assert attempt(PASSWORD) == 302


def test_control_characters_are_refused_in_names(app) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    token = csrf_of(client.get("/login").text)
    for name in ("sato\n42\t2026\tsettle", "sa\u202eto", "sato\x00"):
        response = client.post("/login", data={"name": name, "csrf_token": token})
        assert response.status_code == 401 and "control or formatting" in response.text
    with pytest.raises(ReviewError, match="control or formatting"):
        app.extensions["gaiji_review"]["store"].record_decision("E001", "sato\nforged", None, "該当なし")


def test_api_answers_are_not_stored_and_cookies_can_be_secure(gaiji_set: Path, reference) -> None:  # type: ignore[no-untyped-def]
    app = create_app(gaiji_set, reference=reference)
    client = signed_in(app)
    for path in ("/api/queue", "/api/item/E001", "/api/counts", "/"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path
    secure = create_app(gaiji_set, reference=reference, secure_cookies=True).test_client()
    assert "Secure" in secure.get("/login").headers["Set-Cookie"]
    assert "Secure" not in app.test_client().get("/login").headers["Set-Cookie"]


def test_create_app_reports_a_broken_set(tmp_path: Path, reference) -> None:  # type: ignore[no-untyped-def]
    from gaiji.errors import ContractError

    (tmp_path / "empty").mkdir()
    with pytest.raises(ContractError, match="glyphs.csv"):
        create_app(tmp_path / "empty", reference=reference)
    assert not (tmp_path / "empty" / "review.sqlite").exists()


# -- a reviewer's day: search, filters, variant question, spot-check, overlay ----------------


def test_search_is_counted_paged_and_reads_numbers_plainly(app) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(app)
    first = client.get("/api/search?q=エン").get_json()
    assert first["total"] > 100 and first["pages"] == -(-first["total"] // first["page_size"])
    assert len(first["results"]) == first["page_size"] and first["page"] == 1
    # every result is reachable: the pages together hold all of them, each once
    seen = []
    for page in range(1, first["pages"] + 1):
        seen += [r["mj"] for r in client.get(f"/api/search?q=エン&page={page}").get_json()["results"]]
    assert len(seen) == first["total"] == len(set(seen))
    # 淵 is found among the first two pages (everyday characters first), not at #95
    chars = [c for page in (1, 2) for c in
             (r["char"][:1] for r in client.get(f"/api/search?q=エン&page={page}").get_json()["results"])]
    assert "淵" in chars
    # reading + radical narrows it down
    both = client.get("/api/search?q=" + "えん 氵").get_json()
    assert 0 < both["total"] < first["total"] / 4
    assert all(any(r[0] == 85 for r in hit["radicals"]) for hit in both["results"])
    # a bare 6-digit number is looked up both ways and each hit says which
    assert client.get("/api/search?q=025760").get_json()["read_as"] == {"kind": "mj-or-koseki", "number": "025760"}
    plain = client.get("/api/search?q=025760").get_json()["results"]
    assert {(r["mj"], r["matched_as"]) for r in plain} >= {("MJ025760", "mj")}
    assert any(r["matched_as"] == "koseki" and r["koseki"] == "025760" for r in plain)
    koseki = client.get("/api/search?q=" + "戸籍:437660").get_json()["results"]
    assert [(r["mj"], r["matched_as"]) for r in koseki] == [("MJ025760", "koseki")]
    assert client.get("/api/search?q=J%2B8FBB").get_json()["results"][0]["matched_as"] == "juki"
    # searching for a gaiji, its own candidates and characters with its reading come first
    for_e001 = client.get("/api/search?q=" + "辶%2B2" + "&gaiji_id=E001").get_json()["results"]
    assert [r["mj"] for r in for_e001[:2]] == ["MJ025760", "MJ025761"]
    plain = [r["mj"] for r in client.get("/api/search?q=" + "辶%2B2").get_json()["results"]]
    assert plain.index("MJ025760") > 1  # without the gaiji they keep their radical-stroke place


def test_queue_filters_by_confidence_and_source(app) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(app)
    low = client.get("/api/queue?state=all&confidence=low").get_json()
    assert {r["id"] for r in low["items"]} == {"E004"}  # 0.40
    assert {r["id"] for r in client.get("/api/queue?state=all&confidence=high").get_json()["items"]} == {"E002"}
    assert {r["id"] for r in client.get("/api/queue?state=all&confidence=none").get_json()["items"]} == {"E005"}
    assert low["sources"] == ["EUDC.TTE"]
    assert client.get("/api/queue?state=all&source=EUDC.TTE").get_json()["shown"] == 5
    assert client.get("/api/queue?state=all&source=other.bdf").get_json()["shown"] == 0


def test_variant_question_and_no_match_suggestion(app) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(app)
    e004 = client.get("/api/item/E004").get_json()  # ucs_confidence 0.97, confidence 0.40
    question = e004["variant_question"]
    assert question["char"] == "斎" and question["ucs"] == "U+658E"
    assert {s["mj"] for s in question["siblings"]} >= {"MJ013049", "MJ013050"}
    assert all(s["ucs"] == "U+658E" for s in question["siblings"])
    assert e004["suggest_no_match"] is False
    e003 = client.get("/api/item/E003").get_json()  # no_match 0.72
    assert e003["suggest_no_match"] is True and e003["variant_question"] is None
    assert client.get("/api/item/E001").get_json()["variant_question"] is None  # confidence 0.62: no question


def test_the_desk_says_what_an_edited_gaiji_looks_like_and_names_rank_1s_lookalike(app) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(app)
    e003 = client.get("/api/item/E003").get_json()
    assert e003["edited"] == {"char": "髙", "mj": "MJ028902", "how": "mirrored"} and e003["lookalike"] is None
    e001 = client.get("/api/item/E001").get_json()
    assert e001["lookalike"] == {"char": "高", "mj": "MJ028901"} and e001["edited"] is None
    assert client.get("/api/item/E004").get_json()["edited"] is None


def test_sets_without_match_v2_columns_still_load(tmp_path: Path, reference) -> None:  # type: ignore[no-untyped-def]
    from tests.review.conftest import build_set

    client = signed_in(create_app(build_set(tmp_path / "old", match_v2=False), reference=reference))
    item = client.get("/api/item/E004").get_json()
    assert item["variant_question"] is None and item["suggest_no_match"] is False
    assert "no_match" not in item["candidates"][0]["evidence"]


def test_batch_spot_check_of_auto_accepted_rows(app) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(app)
    assert client.get("/api/spotcheck").get_json()["items"] == []  # nothing drawn yet
    sample = post(client, "/api/spotcheck/draw", n=5).get_json()
    assert [i["id"] for i in sample["items"]] == ["E002"] and sample["remaining"] == 1
    assert post(client, "/api/spotcheck", sample=sample["sample"], ids=["E002"]).status_code == 428
    done = post(client, "/api/spotcheck", sample=sample["sample"], ids=["E002"], confirm=True).get_json()
    assert done == {"confirmed": ["E002"], "skipped": [], "left_out": []}
    store: ReviewStore = app.extensions["gaiji_review"]["store"]
    (final,) = [f for f in store.final_decisions() if f.gaiji_id == "E002"]
    assert final.auto_accepted and final.checked_by == "sato"
    after = client.get("/api/spotcheck").get_json()
    assert (after["items"], after["remaining"]) == ([], 0)
    # the sample is on record from its draw: the audit counts E002 as a random check, right
    assert [(e.kind, e.body.get("outcome")) for e in store.events(gaiji_id="E002")] == [
        ("auto_accept", None), ("spot_check", "drawn"), ("spot_check", "confirmed"), ("decision", None)]
    assert {k: after["audit"][k] for k in ("sampled", "right", "wrong", "open")} == {
        "sampled": 1, "right": 1, "wrong": 0, "open": 0}
    assert after["audit"]["verdict"] == "unknown" and after["audit"]["more_needed"] == 597


def test_only_a_sample_the_desk_drew_can_be_confirmed(app) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(app)
    # no sample, a made-up sample, or a gaiji the sample does not hold: refused, nothing recorded
    assert post(client, "/api/spotcheck", ids=["E002"], confirm=True).status_code == 400
    assert post(client, "/api/spotcheck", sample="cafe", ids=["E002"], confirm=True).status_code == 400
    sample = post(client, "/api/spotcheck/draw", n=5).get_json()["sample"]
    refused = post(client, "/api/spotcheck", sample=sample, ids=["E002", "E001"], confirm=True)
    assert refused.status_code == 400 and "E001" in refused.get_json()["error"]
    store: ReviewStore = app.extensions["gaiji_review"]["store"]
    assert store.state("E002").state == "auto-accepted"
    # another reviewer cannot close sato's sample
    other = signed_in(app, "suzuki")
    assert post(other, "/api/spotcheck", sample=sample, ids=["E002"], confirm=True).status_code == 400


def test_a_closed_box_brings_the_same_sample_back_and_it_counts_until_decided(app) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(app)
    drawn = post(client, "/api/spotcheck/draw", n=5).get_json()
    # the reviewer closes the box (or reloads the page): the sample is on record and comes back
    again = client.get("/api/spotcheck").get_json()
    assert again["sample"] == drawn["sample"] and [i["id"] for i in again["items"]] == ["E002"]
    assert (again["audit"]["sampled"], again["audit"]["open"], again["audit"]["drawn_not_closed"]) == (1, 1, 1)
    # closed with the gaiji left out: recorded so, still auto-accepted, still open in the audit
    done = post(client, "/api/spotcheck", sample=drawn["sample"], ids=[]).get_json()
    assert done == {"confirmed": [], "skipped": [], "left_out": ["E002"]}
    store: ReviewStore = app.extensions["gaiji_review"]["store"]
    shown = [e for e in store.events() if e.kind == "spot_check"]
    assert [(e.gaiji_id, e.body["outcome"], e.body["auto_mj"]) for e in shown] == [
        ("E002", "drawn", "MJ028901"), ("E002", "left_out", "MJ028901")]
    assert store.state("E002").state == "auto-accepted"  # left out: still to be looked at alone
    audit = client.get("/api/spotcheck").get_json()["audit"]
    assert (audit["sampled"], audit["open"], audit["drawn_not_closed"]) == (1, 1, 0)


def test_overlay_is_aligned_and_zoomable(app) -> None:  # type: ignore[no-untyped-def]
    from gaiji.review.pictures import coloured_share

    client = signed_in(app)

    def share(url: str) -> float:
        response = client.get(url)
        assert response.status_code == 200, url
        return coloured_share(Image.open(io.BytesIO(response.data)))

    # E001 is Hanazono's 辻 (two dots on 辶): against one-dot MJ025760 the extra dot stays coloured,
    # against two-dot MJ025761 almost nothing does; alignment removes most stroke-edge colour
    raw = share("/overlay/E001/MJ025761.png?raw=1")
    aligned = share("/overlay/E001/MJ025761.png")
    assert aligned < raw / 2
    assert share("/overlay/E001/MJ025760.png") > 1.5 * aligned
    big = Image.open(io.BytesIO(client.get("/overlay/E001/MJ025761.png?px=512").data))
    assert big.size == (512, 512)
    assert client.get("/overlay/E001/MJ025761.png?px=300").status_code == 404
