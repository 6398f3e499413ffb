//! The survival-analysis module against published values and an independent
//! implementation, and `fundsim survival` on observed data (good and bad input).

use std::path::Path;

use fundsim::stats::{KaplanMeier, Lifetime};
use predicates::prelude::*;

mod common;
use common::{fundsim, temp_dir};

/// Freireich et al. (1963), 6-MP group: weeks of remission; `false` = censored.
fn six_mp() -> Vec<Lifetime> {
    let times = [
        6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35,
    ];
    let events = [
        1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0,
    ];
    lifetimes(&times, &events)
}

/// Freireich et al. (1963), placebo (control) group: no censoring.
fn control() -> Vec<Lifetime> {
    let times = [
        1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23,
    ];
    lifetimes(&times, &[1; 21])
}

/// A second data set with many ties, events and censorings at the same times:
/// i = 0 … 59, time = 1 + (37·i mod 23), censored when i mod 4 = 0.
fn formula_data() -> Vec<Lifetime> {
    (0..60)
        .map(|i| Lifetime {
            time: f64::from(1 + (37 * i) % 23),
            event: i % 4 != 0,
        })
        .collect()
}

fn lifetimes(times: &[u32], events: &[u8]) -> Vec<Lifetime> {
    times
        .iter()
        .zip(events)
        .map(|(&t, &e)| Lifetime {
            time: f64::from(t),
            event: e == 1,
        })
        .collect()
}

fn assert_close(what: &str, got: f64, expected: f64, tolerance: f64) {
    assert!(
        (got - expected).abs() <= tolerance,
        "{what}: got {got:.10}, expected {expected:.10}"
    );
}

/// The 6-MP Kaplan–Meier table as printed in survival-analysis textbooks (e.g. Kleinbaum
/// & Klein, Survival Analysis: A Self-Learning Text; Klein & Moeschberger 2003), to 4
/// decimals: survival and Greenwood standard errors at the event times. Verified by hand:
/// S(6) = 18/21, then ·16/17, ·14/15, ·11/12, ·10/11, ·6/7, ·5/6.
#[test]
fn six_mp_matches_the_textbook_table() {
    let km = KaplanMeier::fit(&six_mp()).unwrap();
    let published = [
        (6.0, 21, 3, 0.8571, 0.0764),
        (7.0, 17, 1, 0.8067, 0.0869),
        (10.0, 15, 1, 0.7529, 0.0963),
        (13.0, 12, 1, 0.6902, 0.1068),
        (16.0, 11, 1, 0.6275, 0.1141),
        (22.0, 7, 1, 0.5378, 0.1282),
        (23.0, 6, 1, 0.4482, 0.1346),
    ];
    for (time, at_risk, events, survival, std_error) in published {
        let row = km.rows().iter().find(|r| r.time == time).unwrap();
        assert_eq!((row.at_risk, row.events), (at_risk, events), "t = {time}");
        assert_close(&format!("S({time})"), row.survival, survival, 0.5e-4);
        assert_close(&format!("se({time})"), row.std_error, std_error, 0.5e-4);
    }
    // Median 23 weeks; the upper band never reaches 0.5 ("not reached").
    let median = km.median();
    assert_eq!(median.estimate, Some(23.0));
    assert_eq!(median.ci_low, Some(13.0));
    assert_eq!(median.ci_high, None);
    // The control group: no censoring, median 8 weeks.
    assert_eq!(
        KaplanMeier::fit(&control()).unwrap().median().estimate,
        Some(8.0)
    );
}

/// Reference numbers from Python `lifelines` 0.30.3 (`KaplanMeierFitter`, default
/// log(−log) intervals at 95%), produced offline at development time by
///
/// ```python
/// kmf = KaplanMeierFitter().fit(T, E)
/// s = kmf.survival_function_; ci = kmf.confidence_interval_; et = kmf.event_table
/// se = s * sqrt(kmf._cumulative_sq_)                       # Greenwood
/// median_survival_times(kmf.confidence_interval_)           # median interval
/// restricted_mean_survival_time(kmf, t=tau)                 # RMST
/// ```
///
/// and the RMST standard error by a separate numpy script of Klein & Moeschberger's
/// formula (`Σ A_i² d_i / (n_i (n_i − d_i))`, as R's survRM2). Rows:
/// (time, at_risk, events, censored, survival, std_error, ci_low, ci_high).
type Row = (f64, u64, u64, u64, f64, f64, f64, f64);

#[rustfmt::skip]
const SIX_MP_LIFELINES: [Row; 17] = [
    (0.0, 21, 0, 0, 1.0, 0.0, 1.0, 1.0),
    (6.0, 21, 3, 1, 0.8571428571, 0.0763603548, 0.6197179553, 0.9515517476),
    (7.0, 17, 1, 0, 0.8067226891, 0.0869352852, 0.5631465646, 0.9228090192),
    (9.0, 16, 0, 1, 0.8067226891, 0.0869352852, 0.5631465646, 0.9228090192),
    (10.0, 15, 1, 1, 0.7529411765, 0.0963496530, 0.5031995108, 0.8893618352),
    (11.0, 13, 0, 1, 0.7529411765, 0.0963496530, 0.5031995108, 0.8893618352),
    (13.0, 12, 1, 0, 0.6901960784, 0.1068147078, 0.4316102225, 0.8490659633),
    (16.0, 11, 1, 0, 0.6274509804, 0.1140538653, 0.3675108560, 0.8049121895),
    (17.0, 10, 0, 1, 0.6274509804, 0.1140538653, 0.3675108560, 0.8049121895),
    (19.0, 9, 0, 1, 0.6274509804, 0.1140538653, 0.3675108560, 0.8049121895),
    (20.0, 8, 0, 1, 0.6274509804, 0.1140538653, 0.3675108560, 0.8049121895),
    (22.0, 7, 1, 0, 0.5378151261, 0.1282337517, 0.2677789368, 0.7467907176),
    (23.0, 6, 1, 0, 0.4481792717, 0.1345914568, 0.1880520060, 0.6801426285),
    (25.0, 5, 0, 1, 0.4481792717, 0.1345914568, 0.1880520060, 0.6801426285),
    (32.0, 4, 0, 2, 0.4481792717, 0.1345914568, 0.1880520060, 0.6801426285),
    (34.0, 2, 0, 1, 0.4481792717, 0.1345914568, 0.1880520060, 0.6801426285),
    (35.0, 1, 0, 1, 0.4481792717, 0.1345914568, 0.1880520060, 0.6801426285),
];

#[rustfmt::skip]
const CONTROL_LIFELINES: [Row; 13] = [
    (0.0, 21, 0, 0, 1.0, 0.0, 1.0, 1.0),
    (1.0, 21, 2, 0, 0.9047619048, 0.0640564485, 0.6700458822, 0.9752941490),
    (2.0, 19, 2, 0, 0.8095238095, 0.0856890867, 0.5689050599, 0.9238888286),
    (3.0, 17, 1, 0, 0.7619047619, 0.0929428641, 0.5193914153, 0.8932571098),
    (4.0, 16, 2, 0, 0.6666666667, 0.1028689000, 0.4253504356, 0.8250440088),
    (5.0, 14, 2, 0, 0.5714285714, 0.1079898494, 0.3379769539, 0.7492407099),
    (8.0, 12, 4, 0, 0.3809523810, 0.1059711696, 0.1830665488, 0.5777886777),
    (11.0, 8, 2, 0, 0.2857142857, 0.0985807942, 0.1165613264, 0.4818196480),
    (12.0, 6, 2, 0, 0.1904761905, 0.0856890867, 0.0594817014, 0.3774348906),
    (15.0, 4, 1, 0, 0.1428571429, 0.0763603548, 0.0356573552, 0.3211615747),
    (17.0, 3, 1, 0, 0.0952380952, 0.0640564485, 0.0162592602, 0.2612499820),
    (22.0, 2, 1, 0, 0.0476190476, 0.0464714320, 0.0033244630, 0.1970449057),
    (23.0, 1, 1, 0, 0.0, 0.0, 0.0, 0.0),
];

#[rustfmt::skip]
const FORMULA_LIFELINES: [Row; 24] = [
    (0.0, 60, 0, 0, 1.0, 0.0, 1.0, 1.0),
    (1.0, 60, 2, 1, 0.9666666667, 0.0231740596, 0.8732247989, 0.9915577022),
    (2.0, 57, 2, 1, 0.9327485380, 0.0324815021, 0.8306338266, 0.9742186818),
    (3.0, 54, 2, 1, 0.8982022959, 0.0394076662, 0.7872856589, 0.9529493526),
    (4.0, 51, 2, 0, 0.8629786764, 0.0450508099, 0.7444761605, 0.9290462237),
    (5.0, 49, 1, 1, 0.8453668667, 0.0474492011, 0.7237163383, 0.9164308642),
    (6.0, 47, 2, 1, 0.8093938085, 0.0518014476, 0.6820163971, 0.8897168907),
    (7.0, 44, 3, 0, 0.7542078670, 0.0572354319, 0.6200570606, 0.8466306358),
    (8.0, 41, 2, 1, 0.7174172394, 0.0600653978, 0.5802316204, 0.8165927608),
    (9.0, 38, 1, 1, 0.6985378383, 0.0613800911, 0.5600026594, 0.8009231807),
    (10.0, 36, 2, 0, 0.6597301807, 0.0638099815, 0.5188808789, 0.7682220967),
    (11.0, 34, 2, 1, 0.6209225230, 0.0656924622, 0.4788604712, 0.7346116275),
    (12.0, 31, 2, 1, 0.5808630054, 0.0672847630, 0.4382009488, 0.6992999661),
    (13.0, 28, 2, 0, 0.5393727907, 0.0685771686, 0.3967908074, 0.6621176898),
    (14.0, 26, 2, 0, 0.4978825760, 0.0692939624, 0.3565732967, 0.6239830804),
    (15.0, 24, 2, 1, 0.4563923614, 0.0694529689, 0.3174932571, 0.5849130898),
    (16.0, 21, 2, 1, 0.4129264222, 0.0693061499, 0.2772129912, 0.5434762212),
    (17.0, 18, 3, 0, 0.3441053518, 0.0682004720, 0.2153659432, 0.4765332660),
    (18.0, 15, 1, 1, 0.3211649950, 0.0674016238, 0.1956398956, 0.4535184905),
    (19.0, 13, 1, 1, 0.2964599954, 0.0665907546, 0.1744089667, 0.4289167192),
    (20.0, 11, 3, 0, 0.2156072694, 0.0626912822, 0.1081275618, 0.3470549979),
    (21.0, 8, 2, 1, 0.1617054520, 0.0574479151, 0.0692498690, 0.2884358549),
    (22.0, 5, 2, 1, 0.0970232712, 0.0494290402, 0.0279016389, 0.2186025123),
    (23.0, 2, 2, 0, 0.0, 0.0, 0.0, 0.0),
];

fn check_rows(name: &str, km: &KaplanMeier, expected: &[Row]) {
    assert_eq!(km.rows().len(), expected.len(), "{name}: rows");
    for (row, e) in km.rows().iter().zip(expected) {
        let at = format!("{name} t = {}", e.0);
        assert_eq!(
            (row.time, row.at_risk, row.events, row.censored),
            (e.0, e.1, e.2, e.3),
            "{at}"
        );
        assert_close(&format!("{at} survival"), row.survival, e.4, 1e-9);
        if row.survival > 0.0 {
            assert_close(&format!("{at} se"), row.std_error, e.5, 1e-9);
            assert_close(&format!("{at} ci_low"), row.ci_low, e.6, 1e-9);
            assert_close(&format!("{at} ci_high"), row.ci_high, e.7, 1e-9);
        } else {
            // lifelines reports 0 for an estimate of 0; here it is undefined (as R's NA).
            assert!(row.std_error.is_nan() && row.ci_low.is_nan(), "{at}");
        }
    }
}

#[test]
fn six_mp_matches_lifelines() {
    let km = KaplanMeier::fit(&six_mp()).unwrap();
    let expected = &SIX_MP_LIFELINES;
    check_rows("6-MP", &km, expected);
    for (tau, rmst, se) in [
        (23.0, 17.909243697478985, 1.5531899782483798),
        (35.0, 23.287394957983185, 2.8274676233714393),
    ] {
        let got = km.rmst(tau).unwrap();
        assert_close(&format!("RMST({tau})"), got.estimate, rmst, 1e-9);
        assert_close(&format!("se RMST({tau})"), got.std_error, se, 1e-9);
    }
}

#[test]
fn control_group_matches_lifelines() {
    let km = KaplanMeier::fit(&control()).unwrap();
    let expected = &CONTROL_LIFELINES;
    check_rows("control", &km, expected);
    let median = km.median();
    assert_eq!(
        (median.estimate, median.ci_low, median.ci_high),
        (Some(8.0), Some(4.0), Some(11.0))
    );
    let rmst = km.rmst(23.0).unwrap();
    assert_close("RMST(23)", rmst.estimate, 8.666666666666666, 1e-9);
    assert_close("se RMST(23)", rmst.std_error, 1.3773900412645488, 1e-9);
}

#[test]
fn tied_data_match_lifelines() {
    let km = KaplanMeier::fit(&formula_data()).unwrap();
    let expected = &FORMULA_LIFELINES;
    check_rows("formula", &km, expected);
    let median = km.median();
    assert_eq!(
        (median.estimate, median.ci_low, median.ci_high),
        (Some(14.0), Some(11.0), Some(17.0))
    );
    for (tau, rmst, se) in [
        (10.0, 8.485519796971953, 0.3527447816031659),
        (20.0, 13.215339998502214, 0.8463085442604062),
    ] {
        let got = km.rmst(tau).unwrap();
        assert_close(&format!("RMST({tau})"), got.estimate, rmst, 1e-9);
        assert_close(&format!("se RMST({tau})"), got.std_error, se, 1e-9);
    }
}

/// The engine's simulated survival as lifetimes (start at month 0, censored at the
/// horizon) gives exactly the pooled curve of `survival.csv`, whose counts, shifted by one
/// month, are the Kaplan–Meier at-risk and event numbers.
#[test]
fn simulated_survival_is_a_kaplan_meier_curve() {
    use fundsim::model::{Trajectory, World, simulate};
    use fundsim::params::PortfolioSpec;
    use fundsim::portfolio::Portfolio;
    use fundsim::scenario::parse_str;
    use fundsim::stats::lifetimes_of;

    let scenario = parse_str(fundsim::scenario::builtin("stf").unwrap(), "built-in:stf").unwrap();
    let PortfolioSpec::Synthetic(spec) = &scenario.portfolio else {
        panic!("stf has a synthetic portfolio");
    };
    let world = World::new(
        Portfolio::synthetic(spec, &scenario.model, 7, 0),
        scenario.model.clone(),
        scenario.fund.clone(),
    );
    let baseline = &scenario.strategies[scenario.baseline_index()];
    let rule = baseline.rule.build();
    let mut lifetimes = Vec::new();
    let horizon = scenario.fund.horizon_months as usize;
    let mut pooled = vec![0u64; horizon + 1];
    let mut trajectory = Trajectory::default();
    for replication in 0..20 {
        simulate(
            &world,
            &baseline.name,
            rule.as_ref(),
            baseline.timing,
            7,
            replication,
            &mut trajectory,
        );
        lifetimes.extend(lifetimes_of(&trajectory));
        for (sum, &count) in pooled.iter_mut().zip(&trajectory.surviving) {
            *sum += u64::from(count);
        }
    }
    let direct = KaplanMeier::fit(&lifetimes).unwrap();
    let from_counts = KaplanMeier::from_pooled_months(&pooled).unwrap();
    let total = pooled[0] as f64;
    for (month, &count) in pooled.iter().enumerate() {
        let t = month as f64;
        assert_close(
            "pooled share",
            from_counts.survival_at(t),
            count as f64 / total,
            1e-12,
        );
        assert_close(
            "direct",
            direct.survival_at(t),
            from_counts.survival_at(t),
            1e-12,
        );
        assert_close(
            "variance",
            direct.variance_at(t),
            from_counts.variance_at(t),
            1e-15,
        );
    }
    // survival.csv's row k has at_risk = pooled[k] and events = pooled[k] − pooled[k+1]:
    // the Kaplan–Meier row of time k + 1.
    for row in from_counts.rows().iter().skip(1) {
        let k = row.time as usize - 1;
        assert_eq!(row.at_risk, pooled[k]);
        assert_eq!(row.events, pooled[k] - pooled[k + 1]);
    }
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn the_survival_command_writes_tables_and_a_chart() {
    let dir = temp_dir();
    let mut text = String::from("project,duration_months,event,group\n");
    for (i, l) in six_mp().iter().enumerate() {
        text += &format!("mp-{i},{},{},6-MP\n", l.time, u8::from(l.event));
    }
    for (i, l) in control().iter().enumerate() {
        text += &format!("ctl-{i},{},{},control\n", l.time, u8::from(l.event));
    }
    let data = write(dir.path(), "data.csv", &text);
    let out = dir.path().join("km");
    fundsim()
        .arg("survival")
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("6-MP"))
        .stdout(predicate::str::contains("23"));
    let table = std::fs::read_to_string(out.join("survival.csv")).unwrap();
    let mut lines = table.lines();
    assert_eq!(
        lines.next().unwrap(),
        "group,time,at_risk,events,censored,survival,std_error,ci_low,ci_high"
    );
    assert!(table.contains("6-MP,6,21,3,1,0.857142857142857"), "{table}");
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert!(summary.contains("control,21,21,8,4,11"), "{summary}");
    for chart in [
        "charts/observed_survival.png",
        "charts/observed_survival.svg",
    ] {
        assert!(out.join(chart).metadata().unwrap().len() > 1000, "{chart}");
    }
    // An existing folder is not overwritten.
    fundsim()
        .arg("survival")
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists"));
}

#[test]
fn bad_observed_data_name_file_line_and_column() {
    let dir = temp_dir();
    let cases = [
        (
            "missing.csv",
            "project,duration_months\na,3\n",
            ":1: column `event`",
        ),
        (
            "negative.csv",
            "project,duration_months,event\na,3,1\nb,-1,0\n",
            ":3: column `duration_months`",
        ),
        (
            "event.csv",
            "project,duration_months,event\na,3,1\nb,4,1\nc,5,2\n",
            ":4: column `event`",
        ),
        (
            "text.csv",
            "project,duration_months,event\na,three,1\n",
            ":2: column `duration_months`",
        ),
    ];
    for (name, text, expected) in cases {
        let path = write(dir.path(), name, text);
        fundsim()
            .arg("survival")
            .arg(&path)
            .arg("--out")
            .arg(dir.path().join(format!("{name}.out")))
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!("{name}{expected}")));
    }
    fundsim()
        .arg("survival")
        .arg(dir.path().join("absent.csv"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("absent.csv"));
}
