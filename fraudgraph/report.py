"""The hardness report: how well the best single node feature separates fraud members.

Features come from the public node and edge tables only (what a detector
sees); membership comes from ``truth/node_labels``. For every feature the
report computes the ROC AUC of members against non-members, taking the better
direction (so 0.5 means useless and 1.0 a perfect giveaway), per typology and
overall, at the person level (a person is a member when they, or an account
they own, belong to a fraud instance) and at the company level. Per typology it
also scores fraud members against the members of that typology's decoys only
(``versus_decoy``): a decoy shares its typology's defining trait, so a feature
that still separates the two is a shortcut the generator should not offer.
When the dataset holds ``gnn/activity/`` (``--format gnn``), the same check runs
on the persons' and accounts' own activity columns there, as of the end of the
span (``gnn_activity``): the recent windows, busiest weeks and days since the
last event that graph models are given.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from fraudgraph.dataset import Dataset
from fraudgraph.units import DAY, to_seconds

NEAR_THRESHOLDS = ((9_000.0, 10_000.0), (2_700.0, 3_000.0))


def auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """ROC AUC of ``scores`` for ``positive`` (Mann-Whitney U with tie-averaged ranks), in the better direction."""
    scores = np.asarray(scores, dtype=float)
    positive = np.asarray(positive, dtype=bool)
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = pd.Series(scores).rank(method="average").to_numpy()
    value = (ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    return float(max(value, 1.0 - value))



def _count(ids: pd.Series, keys: pd.Series) -> np.ndarray:
    return ids.map(keys.value_counts()).fillna(0).to_numpy(dtype=float)


def _co_users(edges: pd.DataFrame) -> pd.Series:
    """For each person, how many other persons share one of their devices (or IPs)."""
    pairs = edges[["src", "dst"]].merge(edges[["src", "dst"]], on="dst", suffixes=("", "_other"))
    pairs = pairs[pairs["src"] != pairs["src_other"]].drop_duplicates(["src", "src_other"])
    return pairs["src"].value_counts()


def account_features(ds: Dataset) -> pd.DataFrame:
    """Money features per account, from TRANSFERS_TO, PAYS and TRADES summaries."""
    g = ds.graph
    acc = g.nodes["Account"][["id", "opened_at", "account_type"]].copy()
    tr = g.edges[("Account", "TRANSFERS_TO", "Account")]
    flow = tr["typical_amount"] * tr["monthly_count"]
    out_amt = flow.groupby(tr["src"]).sum()
    in_amt = flow.groupby(tr["dst"]).sum()
    pays = g.edges[("Account", "PAYS", "Company")]
    pay_amt = (pays["typical_amount"] * pays["monthly_count"]).groupby(pays["src"]).sum()
    amounts = pd.concat([tr[["src", "typical_amount"]], pays[["src", "typical_amount"]]])
    round_share = (amounts["typical_amount"] % 100 == 0).groupby(amounts["src"]).mean()
    near = np.zeros(len(amounts), dtype=bool)
    for lo, hi in NEAR_THRESHOLDS:
        near |= (amounts["typical_amount"] >= lo).to_numpy() & (amounts["typical_amount"] < hi).to_numpy()
    near_share = pd.Series(near, index=amounts.index).groupby(amounts["src"].to_numpy()).mean()
    end = int(pd.Timestamp(ds.scenario.end_date).timestamp())
    acc["age_days"] = (end - to_seconds(acc["opened_at"])) / DAY
    acc["transfer_out"] = acc["id"].map(out_amt).fillna(0).to_numpy()
    acc["transfer_in"] = acc["id"].map(in_amt).fillna(0).to_numpy()
    acc["card_spend"] = acc["id"].map(pay_amt).fillna(0).to_numpy()
    acc["transfer_out_degree"] = _count(acc["id"], tr["src"])
    acc["transfer_in_degree"] = _count(acc["id"], tr["dst"])
    acc["merchant_degree"] = _count(acc["id"], pays["src"])
    acc["trades_degree"] = _count(acc["id"], g.edges[("Account", "TRADES", "Company")]["src"])
    acc["round_amount_share"] = acc["id"].map(round_share).fillna(0).to_numpy()
    acc["near_threshold_share"] = acc["id"].map(near_share).fillna(0).to_numpy()
    return acc


def person_features(ds: Dataset) -> pd.DataFrame:
    """One row per person: degrees by edge type, sharing, money, age, round and near-threshold shares, burstiness."""
    g = ds.graph
    p = g.nodes["Person"][["id", "created_at"]].copy()
    end = int(pd.Timestamp(ds.scenario.end_date).timestamp())
    start = int(pd.Timestamp(ds.scenario.start_date).timestamp())
    ids = p["id"]
    knows = g.edges[("Person", "KNOWS", "Person")]
    f = pd.DataFrame({"id": ids})
    f["knows_degree"] = _count(ids, pd.concat([knows["src"], knows["dst"]]))
    for key, name in ((("Person", "OWNS", "Account"), "accounts"), (("Person", "USES_DEVICE", "Device"), "devices"),
                      (("Person", "USES_IP", "IP"), "ips"), (("Person", "WORKS_AT", "Company"), "employers"),
                      (("Person", "MEMBER_OF", "Circle"), "circles"), (("Person", "ORGANIZES", "Circle"), "circles_organized")):
        f[f"{name}_degree"] = _count(ids, g.edges[key]["src"])
    f["shared_device_persons"] = ids.map(_co_users(g.edges[("Person", "USES_DEVICE", "Device")])).fillna(0).to_numpy()
    f["shared_ip_persons"] = ids.map(_co_users(g.edges[("Person", "USES_IP", "IP")])).fillna(0).to_numpy()
    f["tenure_days"] = (end - to_seconds(p["created_at"])) / DAY

    acc = account_features(ds)
    owns = g.edges[("Person", "OWNS", "Account")][["src", "dst"]].merge(acc, left_on="dst", right_on="id")
    by = owns.groupby("src")
    for col in ("transfer_out", "transfer_in", "card_spend", "transfer_out_degree", "transfer_in_degree",
                "merchant_degree", "trades_degree"):
        f[col] = ids.map(by[col].sum()).fillna(0).to_numpy()
    f["newest_account_age_days"] = ids.map(by["age_days"].min()).fillna(0).to_numpy()
    f["oldest_account_age_days"] = ids.map(by["age_days"].max()).fillna(0).to_numpy()
    f["round_amount_share"] = ids.map(by["round_amount_share"].mean()).fillna(0).to_numpy()
    f["near_threshold_share"] = ids.map(by["near_threshold_share"].max()).fillna(0).to_numpy()
    hi = np.maximum(f["transfer_in"], f["transfer_out"])
    f["pass_through_ratio"] = np.where(hi > 0, np.minimum(f["transfer_in"], f["transfer_out"]) / np.where(hi > 0, hi, 1), 0)

    # burstiness: share of a person's relationships that appeared inside the simulated span
    times = []
    for key, col in ((("Person", "OWNS", "Account"), "since"), (("Person", "USES_DEVICE", "Device"), "first_seen"),
                     (("Person", "USES_IP", "IP"), "first_seen")):
        e = g.edges[key]
        times.append(pd.DataFrame({"p": e["src"], "t": to_seconds(e[col])}))
    t = pd.concat(times, ignore_index=True)
    recent = (t["t"] >= start).groupby(t["p"]).mean()
    f["recent_link_share"] = ids.map(recent).fillna(0).to_numpy()
    return f.set_index("id")


def company_features(ds: Dataset) -> pd.DataFrame:
    g = ds.graph
    c = g.nodes["Company"][["id"]].copy()
    ids = c["id"]
    sup = g.edges[("Company", "SUPPLIES", "Company")]
    ratio = (sup["invoice_amount"] / sup["goods_value"].where(sup["goods_value"] > 0)).abs()
    log_ratio = np.abs(np.log(ratio.fillna(1.0)))
    f = pd.DataFrame({"id": ids})
    f["supplies_out_degree"] = _count(ids, sup["src"])
    f["supplies_in_degree"] = _count(ids, sup["dst"])
    f["invoice_value_mismatch"] = ids.map(pd.concat([log_ratio.groupby(sup["src"]).max(), log_ratio.groupby(sup["dst"]).max()])
                                          .groupby(level=0).max()).fillna(0).to_numpy()
    f["customers"] = _count(ids, g.edges[("Account", "PAYS", "Company")]["dst"])
    f["employees"] = _count(ids, g.edges[("Person", "WORKS_AT", "Company")]["dst"])
    f["traders"] = _count(ids, g.edges[("Account", "TRADES", "Company")]["dst"])
    owns = g.edges[("Company", "OWNS", "Account")][["src", "dst"]].merge(account_features(ds), left_on="dst", right_on="id")
    by = owns.groupby("src")
    for col in ("transfer_out", "transfer_in", "transfer_out_degree", "transfer_in_degree"):
        f[col] = ids.map(by[col].sum()).fillna(0).to_numpy()
    return f.set_index("id")


def _members(ds: Dataset, typology: str | None, fraud: bool = True) -> tuple[set[str], set[str]]:
    """Member persons (directly or through an owned account) and companies of a typology's fraud instances
    (None: every typology), or with ``fraud=False`` of its decoys."""
    labels = ds.truth.node_labels
    patterns = ds.truth.patterns
    chosen = patterns.loc[patterns["is_fraud"] == fraud]
    if typology is not None:
        chosen = chosen[chosen["typology"] == typology]
    labels = labels[labels["pattern_id"].isin(chosen["pattern_id"]).to_numpy()]
    persons = set(labels.loc[labels["label"] == "Person", "id"])
    accounts = set(labels.loc[labels["label"] == "Account", "id"])
    owns = ds.graph.edges[("Person", "OWNS", "Account")]
    persons |= set(owns.loc[owns["dst"].isin(accounts), "src"])
    companies = set(labels.loc[labels["label"] == "Company", "id"])
    return persons, companies


def _versus(features: pd.DataFrame, fraud: set[str], decoys: set[str]) -> dict | None:
    """Fraud members against decoy members only (a node in both counts as fraud)."""
    decoys = decoys - fraud
    if not fraud or not decoys:
        return None
    entry = _score(features[features.index.isin(list(fraud | decoys))], fraud)
    return {**entry, "decoys": len(decoys)}


def _score(features: pd.DataFrame, members: set[str]) -> dict:
    positive = features.index.isin(list(members))
    scores = {name: auc(features[name].to_numpy(), positive) for name in features.columns}
    scores = {k: round(v, 4) for k, v in scores.items() if not np.isnan(v)}
    best = max(scores, key=scores.get) if scores else None
    return {"members": int(positive.sum()), "best_feature": best, "auc": scores.get(best) if best else None,
            "features": dict(sorted(scores.items(), key=lambda kv: -kv[1]))}


def activity_versus_decoys(folder: str | Path, ds: Dataset) -> dict:
    """Per typology and node type (Person, Account), fraud members against decoy members on the
    ``gnn/activity`` columns of the last snapshot; empty without ``gnn/activity``."""
    out: dict = {}
    labels, patterns = ds.truth.node_labels, ds.truth.patterns
    for label in ("Person", "Account"):
        path = Path(folder) / "gnn" / "activity" / f"{label}.npz"
        if not path.is_file():
            continue
        with np.load(path, allow_pickle=False) as activity, \
                np.load(Path(folder) / "gnn" / "nodes" / f"{label}.npz", allow_pickle=False) as nodes:
            features = pd.DataFrame(activity["test"], columns=activity["names"].tolist(), index=nodes["ids"])
        mine = labels[(labels["label"] == label).to_numpy()].merge(patterns[["pattern_id", "typology"]],
                                                                   on="pattern_id")
        for typology, rows in mine.groupby("typology"):
            entry = _versus(features, set(rows.loc[rows["is_fraud"], "id"]), set(rows.loc[~rows["is_fraud"], "id"]))
            if entry:
                out.setdefault(typology, {})[label.lower()] = entry
    return out


def hardness_report(ds: Dataset, folder: str | Path | None = None) -> dict:
    """Best single-feature AUC per typology and overall, at person and company level (and, given the
    dataset's ``folder`` holding ``gnn/activity``, fraud against decoys on those columns)."""
    pf = person_features(ds)
    cf = company_features(ds)
    patterns = ds.truth.patterns
    typologies = sorted(set(patterns.loc[patterns["is_fraud"], "typology"]))
    report = {
        "scenario": ds.scenario.name,
        "hardness": ds.scenario.fraud.hardness,
        "knobs": ds.scenario.fraud.knobs(),
        "instances": {t: {"fraud": int(((patterns["typology"] == t) & patterns["is_fraud"]).sum()),
                          "decoys": int(((patterns["typology"] == t) & ~patterns["is_fraud"]).sum())}
                      for t in sorted(set(patterns["typology"]))},
        "typologies": {},
    }
    persons, companies = _members(ds, None)
    report["overall"] = {"person": _score(pf, persons), "company": _score(cf, companies) if companies else None}
    for t in typologies:
        persons, companies = _members(ds, t)
        decoy_persons, decoy_companies = _members(ds, t, fraud=False)
        report["typologies"][t] = {
            "person": _score(pf, persons) if persons else None,
            "company": _score(cf, companies) if companies else None,
            "versus_decoy": {"person": _versus(pf, persons, decoy_persons),
                             "company": _versus(cf, companies, decoy_companies)},
        }
    if folder is not None and (Path(folder) / "gnn" / "activity").is_dir():
        report["gnn_activity"] = activity_versus_decoys(folder, ds)
    return report


def format_report(report: dict) -> str:
    """The report as a text table."""
    lines = [f"hardness report: scenario {report['scenario']}, hardness {report['hardness']} "
             f"(best single-feature AUC; 0.5 = no signal, 1.0 = giveaway)", ""]
    header = f"{'typology':<24} {'level':<8} {'members':>8} {'AUC':>6}  best feature (runner-up)"
    lines += [header, "-" * len(header)]

    def row(name, level, entry):
        if not entry:
            return
        feats = list(entry["features"].items())
        runner = f" ({feats[1][0]} {feats[1][1]:.3f})" if len(feats) > 1 else ""
        lines.append(f"{name:<24} {level:<8} {entry['members']:>8} {entry['auc']:>6.3f}  {entry['best_feature']}{runner}")

    for t, entry in report["typologies"].items():
        row(t, "person", entry["person"])
        row(t, "company", entry["company"])
    lines.append("-" * len(header))
    row("OVERALL", "person", report["overall"]["person"])
    row("OVERALL", "company", report["overall"]["company"])
    lines += ["", "fraud members against their own typology's decoy members only (above 0.90: a shortcut)", "",
              header.replace("members", "f+decoys"), "-" * len(header)]
    for t, entry in report["typologies"].items():
        for level in ("person", "company"):
            versus = entry["versus_decoy"][level]
            if versus:
                row(t, level, {**versus, "members": versus["members"] + versus["decoys"]})
    if report.get("gnn_activity"):
        lines += ["", "the same on gnn/activity, each node's own activity at the end of the span", "",
                  header.replace("members", "f+decoys"), "-" * len(header)]
        for t, levels in report["gnn_activity"].items():
            for level, versus in levels.items():
                row(t, level, {**versus, "members": versus["members"] + versus["decoys"]})
    return "\n".join(lines)
