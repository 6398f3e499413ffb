"""A vectorised numpy implementation of fundsim's model (docs/model.md), for timing.

What a careful numpy user would write: the state of every project in every replication
is an array of shape (replications, projects), each month is a handful of whole-array
operations, and replications are processed in chunks so that memory stays flat. It
implements the `none` and `equal` rules with `even` and `front_loaded` timing, which
is what the STF scenario needs for those strategies, and the same monthly step as
fundsim (effort with crowding out and other funders who leave, discovery of latent
vulnerabilities, work, fixes, departures, breaks, the cliff, newcomers, hires, revival,
grant money that expires after the grant's end plus the extension, status).

It draws its own random numbers (numpy's PCG64), so it reproduces fundsim's results in
distribution, not draw for draw. Open vulnerabilities are kept as counts per discovery
month, so that they are tried oldest first and time-to-fix is known. The fixes of a
month are drawn bucket by bucket, oldest first, as Binomial(count, p) each, and cut off
once ceil(effort / vuln_effort) have succeeded: the distribution of fundsim's "try each
open vulnerability in turn until the effort runs out".

Keys that scenarios/stf.toml does not list take docs/model.md's defaults (DEFAULTS).

Usage (from the repository root):

    python3 benches/numpy/fundsim_numpy.py --replications 4000 [--strategies none,equal-even]

It prints the time per strategy, project-months per second, and the mean and MCSE of
every unpaired outcome of fundsim's summary.csv; benches/numpy/compare.py sets them
against a fundsim run.
"""

import argparse
import csv
import math
import os
import sys
import time
import tomllib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def load(scenario_path, portfolio_path):
    with open(scenario_path, "rb") as f:
        scenario = tomllib.load(f)
    with open(portfolio_path) as f:
        rows = list(csv.DictReader(f))
    portfolio = {
        key: np.array([float(r[key]) for r in rows])
        for key in rows[0]
        if key != "name"
    }
    return scenario, portfolio


# docs/model.md, "Parameters": the defaults of the keys scenarios/stf.toml leaves out.
DEFAULTS = {
    "model": {
        "vuln_discovery_external": 0.0075,
        "vuln_discovery_usage_exponent": 0.3,
        "vuln_discovery_per_pm": 0.04,
        "funder_hazard": 0.0106,
        "crowd_out": 0.08,
    },
    "fund": {"extension_months": 12},
}


def with_defaults(scenario):
    for section, keys in DEFAULTS.items():
        for key, value in keys.items():
            scenario[section].setdefault(key, value)
    return scenario


class Constants:
    """Per-project constants (docs/model.md, "Per-project constants")."""

    def __init__(self, scenario, p):
        m, fund = scenario["model"], scenario["fund"]
        self.n = len(p["dependents"])
        usage = np.maximum(p["dependents"], 1.0) / m["reference_dependents"]
        self.volunteer_pm = p["volunteer_hours"] / m["hours_per_person_month"]
        self.absorption_per_maintainer = p["absorption"] / np.maximum(p["maintainers"], 1)
        self.baseline_pm = p["baseline_funding"] / fund["person_month_eur"]
        self.newcomer_mean = m["newcomer_rate"] * usage ** m["newcomer_usage_exponent"]
        self.revival = np.minimum(m["revival_hazard"] * usage ** m["revival_usage_exponent"], 1.0)
        self.work_rate = p["work_rate"]
        self.vuln_rate = p["vuln_rate"]
        self.maintainers0 = p["maintainers"].astype(np.int32)
        self.backlog0 = p["backlog"]
        self.criticality = p["criticality"]
        total = p["dependents"].sum()
        self.weights = p["dependents"] / total if total > 0 else np.full(self.n, 1.0 / self.n)
        s = np.arange(1, m["break_max_months"] + 1)
        self.return_probability = m["break_return_hazard"] * np.exp(-s / m["break_return_decay_months"])
        # Latent and discovered vulnerabilities: outsiders' hazard, the initial latent mean.
        self.h_ext = m["vuln_discovery_external"] * usage ** m["vuln_discovery_usage_exponent"]
        h0 = self.h_ext + m["vuln_discovery_per_pm"] * p["maintainers"] * self.volunteer_pm
        with np.errstate(divide="ignore", invalid="ignore"):
            self.latent_mean0 = np.where(
                (self.vuln_rate > 0) & (h0 > 0), self.vuln_rate / -np.expm1(-h0), 0.0
            )
        # Equal-split order: criticality descending, then portfolio order.
        self.order = np.lexsort((np.arange(self.n), -self.criticality))


def equal_grants(fund, budget, eligible, order):
    """split_by_weights with equal weights, vectorised over replications.

    With equal weights the water filling keeps the k most critical eligible projects,
    k the largest count whose share is at least the minimum grant, and gives each the
    share (or the maximum grant if the share exceeds it)."""
    s, f0 = fund["overhead_share"], fund["overhead_fixed_eur"]
    gmin, gmax = fund["min_grant_eur"], fund["max_grant_eur"]
    e = eligible[:, order]
    n = e.sum(axis=1)
    k = n.astype(np.float64)
    per = np.zeros_like(k)
    chosen = np.zeros_like(k)
    undecided = k > 0
    while undecided.any():
        net = budget - k * f0
        share = np.where(k > 0, net / (1.0 + s) / np.maximum(k, 1), 0.0)
        ok = undecided & (net > 0) & (share >= gmin)
        per[ok] = np.minimum(share[ok], gmax)
        chosen[ok] = k[ok]
        undecided &= ~ok
        k[undecided] -= 1
        undecided &= k > 0
    rank = np.cumsum(e, axis=1)
    granted_sorted = e & (rank <= chosen[:, None])
    amounts = np.zeros(e.shape)
    amounts[:, order] = granted_sorted * per[:, None]
    cost = (amounts * (1.0 + s) + f0 * (amounts > 0)).sum(axis=1)
    return amounts, cost


def fix_oldest_first(open_by_month, t, trying, p_fix, cap, rng):
    """Step 4's fixes, oldest first: returns (r, n, discovery month, fixed) of the buckets tried.

    Within one discovery month the open vulnerabilities are exchangeable, so the
    successes among them are Binomial(count, p); going through the buckets oldest first,
    the fixes stop once `cap` = ceil(effort / vuln_effort) have succeeded."""
    # Few projects hold open vulnerabilities: gather their months, not the whole array.
    r_try, n_try = np.nonzero(trying)
    rows = open_by_month[r_try, n_try, : t + 1]
    row, month = np.nonzero(rows)
    r_idx, n_idx = r_try[row], n_try[row]
    counts = rows[row, month]
    successes = rng.binomial(counts, p_fix[r_idx, n_idx])
    # Successes in the project's older buckets: a cumulative sum restarted per project.
    before = np.cumsum(successes) - successes
    group = r_idx * open_by_month.shape[1] + n_idx
    first = np.r_[True, group[1:] != group[:-1]]
    start = np.maximum.accumulate(np.where(first, np.arange(group.size), 0))
    earlier = before - before[start]
    fixed = np.clip(cap[r_idx, n_idx] - earlier, 0, successes)
    return r_idx, n_idx, month, fixed


def simulate(scenario, c, strategy, replications, rng):
    """One chunk of replications of one strategy; returns per-replication outcomes."""
    m, fund = scenario["model"], scenario["fund"]
    R, N = replications, c.n
    T = fund["horizon_months"]
    K, L = m["cliff_months"], m["break_max_months"]
    rule = strategy.get("rule")
    timing = strategy.get("timing", "even")
    cpm = fund["person_month_eur"]
    duration = fund["grant_duration_months"]
    extension = fund["extension_months"]
    e_fix = m["vuln_effort_pm"]
    h_eff = m["vuln_discovery_per_pm"]
    crowd_out = m["crowd_out"]
    shape = 1.0 / m["work_cv"] ** 2
    volunteers = np.broadcast_to(c.maintainers0, (R, N)).astype(np.int32)
    paid = np.zeros((R, N), np.int32)
    cliff = np.zeros((R, N, max(K, 1)), np.int32)
    breaks = np.zeros((R, N, max(L, 1)), np.int32)  # ring: slot month % L
    backlog = np.broadcast_to(c.backlog0, (R, N)).copy()
    latent = rng.poisson(np.broadcast_to(c.latent_mean0, (R, N))).astype(np.int64)
    open_by_month = np.zeros((R, N, T), np.int32)  # open vulnerabilities by discovery month
    open_now = np.zeros((R, N), np.int64)
    discovered = np.zeros(R)
    fixed_total = np.zeros(R)
    exposure = np.zeros(R)
    time_to_fix = np.zeros((R, T + 1), np.int64)  # fixes per replication by time-to-fix
    held = np.zeros((R, N))
    spend_rate = np.zeros((R, N))
    grant_end = np.full((R, N), -(10**9), np.int64)  # month of the last grant + duration
    received = np.zeros((R, N))
    # Other funders: the funder pays months t < stays (docs/model.md, "Other funders").
    if m["funder_hazard"] > 0:
        funder_stays = rng.geometric(m["funder_hazard"], size=(R, N))
    else:
        funder_stays = np.full((R, N), np.iinfo(np.int64).max)
    status = np.where(c.maintainers0 > 0, 0, 1).astype(np.int8)  # 0 active, 1 dormant, 2 abandoned
    status = np.broadcast_to(status, (R, N)).copy()
    dormant = np.zeros((R, N), np.int32)
    first_abandoned = np.full((R, N), -1, np.int32)
    surviving_months = np.zeros((R, N), np.int32)
    calls = list(range(0, min(fund["programme_months"], T), fund["call_interval_months"]))
    pool = np.full(R, fund["budget_eur"])
    paid_total = np.zeros(R)
    returned_total = np.zeros(R)
    overhead = np.zeros(R)

    def hazard_probability(h):
        return -np.expm1(-h)

    for t in range(T):
        maintainers = volunteers + paid + cliff.sum(axis=2)
        # 1. Fund decisions.
        if rule == "equal" and t in calls:
            left = len(calls) - calls.index(t)
            budget = pool / left if timing == "even" else pool.copy()
            eligible = status == 0
            amounts, cost = equal_grants(fund, budget, eligible, c.order)
            pool -= cost
            paid_total += amounts.sum(axis=1)
            overhead += cost - amounts.sum(axis=1)
            held += amounts
            received += amounts
            got = amounts > 0
            spend_rate = np.where(got, held / duration, spend_rate)
            grant_end = np.where(got, t + duration, grant_end)
        active = maintainers > 0
        mf = maintainers.astype(np.float64)
        # 2. Effort.
        baseline_pm = np.where(t < funder_stays, c.baseline_pm, 0.0)
        capacity = c.absorption_per_maintainer * mf
        planned = np.minimum(held, spend_rate)
        funded = np.minimum(baseline_pm + planned / cpm, capacity)
        funded = np.where(active, funded, 0.0)
        fund_pm = np.maximum(funded - baseline_pm, 0.0)
        spent = np.minimum(fund_pm * cpm, held)
        held -= spent
        covered = np.minimum(funded, mf)
        touched = np.maximum(np.ceil(covered - 1e-9), 0).astype(np.int32)
        paid_full = np.floor(covered).astype(np.int32)
        share = np.where(touched > paid_full, covered - paid_full, 0.0)
        volunteer_time = (mf - covered) * c.volunteer_pm
        # Crowding out: volunteer time falls in months fund money is spent.
        volunteer_time = np.where(spent > 0, (1.0 - crowd_out) * volunteer_time, volunteer_time)
        effort = np.where(active, volunteer_time + funded, 0.0)
        uncovered = funded - covered
        # Pay assignment (repay).
        stop = np.maximum(paid - touched, 0)
        if K > 0:
            cliff[:, :, K - 1] += stop
        else:
            volunteers += stop
        want = np.maximum(touched - paid, 0)
        for j in range(K - 1, -1, -1):
            if not want.any():
                break
            taken = np.minimum(want, cliff[:, :, j])
            cliff[:, :, j] -= taken
            want -= taken
        volunteers -= want
        paid = touched
        # 3. Discovery of the latent vulnerabilities of the start of the month, then
        # work and new (latent) vulnerabilities arrive.
        found = rng.binomial(latent, hazard_probability(c.h_ext + h_eff * effort))
        latent -= found
        open_by_month[:, :, t] = found
        open_now += found
        discovered += found.sum(axis=1)
        work = rng.gamma(shape, c.work_rate / shape, size=(R, N))
        latent += rng.poisson(c.vuln_rate, size=(R, N))
        # 4. Work is done: fixes of discovered vulnerabilities first, oldest first, then the backlog.
        remaining = effort
        trying = (remaining > 0) & (open_now > 0)
        if trying.any():
            with np.errstate(divide="ignore", invalid="ignore"):
                p_fix = np.where(trying, hazard_probability(remaining / (e_fix * open_now)), 0.0)
                cap = np.where(trying, np.ceil(remaining / e_fix), 0).astype(np.int64)
            r_idx, n_idx, month, fixed = fix_oldest_first(open_by_month, t, trying, p_fix, cap, rng)
            open_by_month[r_idx, n_idx, month] -= fixed.astype(np.int32)
            fixes = np.zeros((R, N), np.int64)
            np.add.at(fixes, (r_idx, n_idx), fixed)
            np.add.at(time_to_fix, (r_idx, t - month + 1), fixed)
            open_now -= fixes
            fixed_total += fixes.sum(axis=1)
            remaining = np.maximum(remaining - fixes * e_fix, 0.0)
        backlog = np.maximum(backlog + work - remaining, 0.0) * (1.0 - m["backlog_obsolescence"])
        # 5. People move: departures.
        with np.errstate(divide="ignore", invalid="ignore"):
            load_ = backlog / (12.0 * mf * c.volunteer_pm)
        burnout = np.where(
            (m["burnout_slope"] == 0) | (backlog <= 0),
            1.0,
            np.minimum(np.exp(np.minimum(m["burnout_slope"] * np.nan_to_num(load_, posinf=1e9), 700.0)), m["burnout_cap"]),
        )
        hazard = m["attrition_hazard"] * burnout
        pm_ = m["paid_attrition_multiplier"]
        leavers = rng.binomial(paid_full, hazard_probability(hazard * pm_))
        partial = paid - paid_full
        partial_leavers = rng.binomial(partial, hazard_probability(hazard * pm_ ** share))
        paid = paid - leavers - partial_leavers
        leavers = leavers + partial_leavers
        if K > 0 and cliff.any():
            cliff_gone = rng.binomial(cliff, hazard_probability(hazard * m["cliff_multiplier"])[:, :, None])
            cliff -= cliff_gone.astype(np.int32)
            leavers += cliff_gone.sum(axis=2)
        gone = rng.binomial(volunteers, hazard_probability(hazard))
        volunteers = volunteers - gone
        leavers = (leavers + gone).astype(np.int32)
        # Breaks: slot (t - s) % L holds those away s months; only non-empty slots draw.
        returners = np.zeros((R, N), np.int32)
        if L > 0:
            r_idx, n_idx, slot = np.nonzero(breaks)
            if r_idx.size:
                months_away = (t - slot) % L
                months_away = np.where(months_away == 0, L, months_away)
                back = rng.binomial(breaks[r_idx, n_idx, slot], c.return_probability[months_away - 1])
                np.add.at(returners, (r_idx, n_idx), back.astype(np.int32))
                stay = np.where(months_away == L, 0, breaks[r_idx, n_idx, slot] - back)
                breaks[r_idx, n_idx, slot] = stay
            breaks[:, :, t % L] = leavers
        # The cliff ages.
        if K > 0:
            volunteers += cliff[:, :, 0]
            cliff[:, :, :-1] = cliff[:, :, 1:]
            cliff[:, :, -1] = 0
        volunteers += returners
        # Arrivals.
        if (c.work_rate > 0).all():
            activity = np.minimum(effort / c.work_rate, 1.0)
        else:
            activity = np.where(c.work_rate > 0, np.minimum(effort / np.where(c.work_rate > 0, c.work_rate, 1), 1.0), 1.0)
        a = m["newcomer_activity_share"]
        newcomers = rng.poisson(c.newcomer_mean * ((1 - a) + a * activity))
        hires = rng.poisson(m["hire_rate"] * uncovered)
        volunteers += np.where(active, newcomers + hires, 0).astype(np.int32)
        revive = (~active) & (status == 2) & (rng.random((R, N)) < c.revival)
        volunteers += revive.astype(np.int32)
        # 6. Month-end k = t+1: grant money past the grant's end plus the extension goes
        # back (to the pool while a call remains), then the status.
        expired = (grant_end + extension == t + 1) & (held > 0)
        if expired.any():
            back_eur = np.where(expired, held, 0.0).sum(axis=1)
            returned_total += back_eur
            if t <= calls[-1]:
                pool += back_eur
            held = np.where(expired, 0.0, held)
            spend_rate = np.where(expired, 0.0, spend_rate)
        now = volunteers + paid + cliff.sum(axis=2)
        has = now > 0
        dormant = np.where(has, 0, np.where(status == 2, dormant, dormant + 1))
        newly = (~has) & (status != 2) & (dormant >= m["abandonment_months"])
        status = np.where(has, 0, np.where(status == 2, 2, np.where(newly, 2, 1))).astype(np.int8)
        first_abandoned = np.where(newly & (first_abandoned < 0), t + 1, first_abandoned)
        if L > 0 and newly.any():
            breaks[newly] = 0
        surviving_months += first_abandoned < 0
        exposure += open_now.sum(axis=1)
    maintainers = volunteers + paid + cliff.sum(axis=2)
    never = first_abandoned < 0
    outcomes = {
        "survival_at_horizon": never.mean(axis=1),
        "alive_at_horizon": (status != 2).mean(axis=1),
        "weighted_survival_at_horizon": (never * c.weights).sum(axis=1),
        "abandonments": (~never).sum(axis=1).astype(np.float64),
        "project_years_survived": surviving_months.sum(axis=1) / 12.0,
        "maintainers_at_horizon": maintainers.mean(axis=1),
        "backlog_at_horizon_pm": backlog.mean(axis=1),
        "open_vulnerabilities_at_horizon": open_now.mean(axis=1),
        "latent_vulnerabilities_at_horizon": latent.mean(axis=1),
        "exposure_months": exposure / N,
        "discovered_vulnerabilities": discovered / N,
        "fixed_vulnerabilities": fixed_total / N,
    }
    # Time-to-fix: median (mean of the two middle values for an even count) and the share
    # within 3 months, over the replication's fixes; NaN (left out) without a fix.
    count = time_to_fix.sum(axis=1)
    cumulative = np.cumsum(time_to_fix, axis=1)
    low = np.argmax(cumulative > ((count - 1) // 2)[:, None], axis=1)
    high = np.argmax(cumulative > (count // 2)[:, None], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        outcomes["median_time_to_fix_months"] = np.where(count > 0, (low + high) / 2.0, np.nan)
        outcomes["share_fixed_within_3_months"] = np.where(
            count > 0, time_to_fix[:, :4].sum(axis=1) / count, np.nan
        )
    # What the projects kept: regranted money counts once (docs/model.md).
    outcomes["total_paid_eur"] = paid_total - returned_total
    outcomes["overhead_eur"] = overhead
    ordered = np.sort(received, axis=1)
    total = ordered.sum(axis=1)
    i = np.arange(1, N + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        gini = ((2 * i - N - 1) * ordered).sum(axis=1) / (N * total)
    outcomes["gini_allocation"] = np.where((total > 0) & (N >= 2), gini, 0.0)
    outcomes["share_funded"] = (received > 0).mean(axis=1)
    for after in (12, 36, 72):
        k = fund["programme_months"] + after
        if k <= T:
            alive_k = (first_abandoned < 0) | (first_abandoned > k)
            outcomes[f"survival_{after}m_after_programme"] = alive_k.mean(axis=1)
    return outcomes


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--replications", type=int, default=10000)
    parser.add_argument("--chunk", type=int, default=1000, help="replications per array pass (memory grows with it)")
    parser.add_argument("--strategies", default="none,equal-even,equal-front")
    parser.add_argument("--scenario", default=os.path.join(HERE, "..", "..", "scenarios", "stf.toml"))
    parser.add_argument("--portfolio", default=os.path.join(HERE, "stf_portfolio.csv"))
    parser.add_argument("--seed", type=int, default=20261128)
    args = parser.parse_args()
    scenario, portfolio = load(args.scenario, args.portfolio)
    scenario = with_defaults(scenario)
    c = Constants(scenario, portfolio)
    strategies = {s["name"]: s for s in scenario["strategies"]}
    rng = np.random.default_rng(args.seed)
    horizon = scenario["fund"]["horizon_months"]
    for name in args.strategies.split(","):
        strategy = strategies[name]
        if strategy["rule"] not in ("none", "equal"):
            sys.exit(f"{name}: only the none and equal rules are implemented")
        start = time.perf_counter()
        outcomes = {}
        done = 0
        while done < args.replications:
            chunk = min(args.chunk, args.replications - done)
            for key, values in simulate(scenario, c, strategy, chunk, rng).items():
                outcomes.setdefault(key, []).append(values)
            done += chunk
        elapsed = time.perf_counter() - start
        pm = args.replications * c.n * horizon
        print(f"{name}: {args.replications} replications in {elapsed:.2f} s, "
              f"{pm / elapsed / 1e6:.3f} M project-months/s")
        for key, chunks in outcomes.items():
            values = np.concatenate(chunks)
            values = values[~np.isnan(values)]  # replications without a fix are left out
            mcse = values.std(ddof=1) / math.sqrt(len(values)) if len(values) > 1 else 0.0
            print(f"  {key:34s} mean {values.mean():.6g}  mcse {mcse:.3g}")


if __name__ == "__main__":
    main()
