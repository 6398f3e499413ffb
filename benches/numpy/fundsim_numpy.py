"""A vectorised numpy implementation of fundsim's model (docs/model.md), for timing.

What a careful numpy user would write: the state of every project in every replication
is an array of shape (replications, projects), each month is a handful of whole-array
operations, and replications are processed in chunks so that memory stays flat. It
implements the `none` and `equal` rules with `even` and `front_loaded` timing, which
is what the STF scenario needs for those strategies, and the same monthly step as
fundsim (effort, work, vulnerabilities, departures, breaks, the cliff, newcomers,
hires, revival, status).

It draws its own random numbers (numpy's PCG64), so it reproduces fundsim's results in
distribution, not draw for draw; it keeps counts of open vulnerabilities, not their
ages, so it has no time-to-fix. The number of fixes in a month is drawn as
min(Binomial(open, p), ceil(effort / vuln_effort)), which is the distribution of
fundsim's "try each open vulnerability in turn until the effort runs out".

Usage (from the repository root):

    python3 benches/numpy/fundsim_numpy.py --replications 10000 [--strategies none,equal-even]

It prints the time per strategy, project-months per second, and the means of a few
outcomes to compare with fundsim's summary.csv.
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


def simulate(scenario, c, strategy, replications, rng):
    """One chunk of replications of one strategy; returns per-replication outcomes."""
    m, fund = scenario["model"], scenario["fund"]
    R, N = replications, c.n
    T = fund["horizon_months"]
    K, L = m["cliff_months"], m["break_max_months"]
    rule = strategy.get("rule")
    timing = strategy.get("timing", "even")
    cpm = fund["person_month_eur"]
    shape = 1.0 / m["work_cv"] ** 2
    volunteers = np.broadcast_to(c.maintainers0, (R, N)).astype(np.int32)
    paid = np.zeros((R, N), np.int32)
    cliff = np.zeros((R, N, max(K, 1)), np.int32)
    breaks = np.zeros((R, N, max(L, 1)), np.int32)  # ring: slot month % L
    backlog = np.broadcast_to(c.backlog0, (R, N)).copy()
    vulns = np.zeros((R, N), np.int32)
    held = np.zeros((R, N))
    spend_rate = np.zeros((R, N))
    status = np.where(c.maintainers0 > 0, 0, 1).astype(np.int8)  # 0 active, 1 dormant, 2 abandoned
    status = np.broadcast_to(status, (R, N)).copy()
    dormant = np.zeros((R, N), np.int32)
    first_abandoned = np.full((R, N), -1, np.int32)
    surviving_months = np.zeros((R, N), np.int32)
    calls = list(range(0, min(fund["programme_months"], T), fund["call_interval_months"]))
    pool = np.full(R, fund["budget_eur"])
    paid_total = np.zeros(R)

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
            held += amounts
            got = amounts > 0
            spend_rate = np.where(got, held / fund["grant_duration_months"], spend_rate)
        active = maintainers > 0
        mf = maintainers.astype(np.float64)
        # 2. Effort.
        capacity = c.absorption_per_maintainer * mf
        planned = np.minimum(held, spend_rate)
        funded = np.minimum(c.baseline_pm + planned / cpm, capacity)
        funded = np.where(active, funded, 0.0)
        fund_pm = np.maximum(funded - c.baseline_pm, 0.0)
        spent = np.minimum(fund_pm * cpm, held)
        held -= spent
        covered = np.minimum(funded, mf)
        touched = np.maximum(np.ceil(covered - 1e-9), 0).astype(np.int32)
        paid_full = np.floor(covered).astype(np.int32)
        share = np.where(touched > paid_full, covered - paid_full, 0.0)
        effort = np.where(active, (mf - covered) * c.volunteer_pm + funded, 0.0)
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
        # 3. Work and vulnerabilities arrive.
        work = rng.gamma(shape, c.work_rate / shape, size=(R, N))
        vulns += rng.poisson(c.vuln_rate, size=(R, N)).astype(np.int32)
        # 4. Work is done: fixes first, then the backlog.
        remaining = effort
        trying = (remaining > 0) & (vulns > 0)
        if trying.any():
            p_fix = hazard_probability(remaining[trying] / (m["vuln_effort_pm"] * vulns[trying]))
            fixes = np.minimum(
                rng.binomial(vulns[trying], p_fix),
                np.ceil(remaining[trying] / m["vuln_effort_pm"]).astype(np.int64),
            )
            vulns[trying] -= fixes.astype(np.int32)
            remaining = remaining.copy()
            remaining[trying] = np.maximum(remaining[trying] - fixes * m["vuln_effort_pm"], 0.0)
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
        # 6. Status.
        now = volunteers + paid + cliff.sum(axis=2)
        has = now > 0
        dormant = np.where(has, 0, np.where(status == 2, dormant, dormant + 1))
        newly = (~has) & (status != 2) & (dormant >= m["abandonment_months"])
        status = np.where(has, 0, np.where(status == 2, 2, np.where(newly, 2, 1))).astype(np.int8)
        first_abandoned = np.where(newly & (first_abandoned < 0), t + 1, first_abandoned)
        if L > 0 and newly.any():
            breaks[newly] = 0
        surviving_months += first_abandoned < 0
    maintainers = volunteers + paid + cliff.sum(axis=2)
    never = first_abandoned < 0
    return {
        "survival_at_horizon": never.mean(axis=1),
        "alive_at_horizon": (status != 2).mean(axis=1),
        "weighted_survival_at_horizon": (never * c.weights).sum(axis=1),
        "abandonments": (~never).sum(axis=1).astype(np.float64),
        "project_years_survived": surviving_months.sum(axis=1) / 12.0,
        "maintainers_at_horizon": maintainers.mean(axis=1),
        "backlog_at_horizon_pm": backlog.mean(axis=1),
        "open_vulnerabilities_at_horizon": vulns.mean(axis=1),
        "total_paid_eur": paid_total,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--replications", type=int, default=10000)
    parser.add_argument("--chunk", type=int, default=10000, help="replications per array pass")
    parser.add_argument("--strategies", default="none,equal-even,equal-front")
    parser.add_argument("--scenario", default=os.path.join(HERE, "..", "..", "scenarios", "stf.toml"))
    parser.add_argument("--portfolio", default=os.path.join(HERE, "stf_portfolio.csv"))
    parser.add_argument("--seed", type=int, default=20261128)
    args = parser.parse_args()
    scenario, portfolio = load(args.scenario, args.portfolio)
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
            mcse = values.std(ddof=1) / math.sqrt(len(values)) if len(values) > 1 else 0.0
            print(f"  {key:34s} mean {values.mean():.6g}  mcse {mcse:.3g}")


if __name__ == "__main__":
    main()
