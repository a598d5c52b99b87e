"""Access and portability: the archive holds every declared table the person has rows in, and
only theirs; the summary is in their language; the export is audited."""

from __future__ import annotations

import io
import json
import zipfile

import sqlalchemy as sa

from journey.core.audit import AuditEvent


def _archive(resp) -> tuple[dict, str]:
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    zf = zipfile.ZipFile(io.BytesIO(resp.data))
    assert sorted(zf.namelist()) == ["data.json", "summary.html"]
    return json.loads(zf.read("data.json")), zf.read("summary.html").decode()


def test_smoke(client, factory):
    sup = factory.user("supervisor")
    p = factory.participant(sup)
    resp = client.get(f"/api/v1/participants/{p.id}/privacy/export", headers=factory.headers(sup))
    data, summary = _archive(resp)
    assert data["participant"]["reference"] == p.reference
    print(summary[:3000])
