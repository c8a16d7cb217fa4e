"""key_results against small hand-made ADaM frames; expected values computed here with
pandas / scipy / lifelines directly."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from lifelines import KaplanMeierFitter
from scipy import stats

from helpers.adam.derive import Adam
from helpers.analysis import ard, baseline, caregiver, disposition, efficacy, safety, sample_size
from helpers.analysis import change_from_baseline as cfb
from helpers.analysis.population import POPULATION_FLAGS, analysis_set
from helpers.report import labels
from helpers.results import key_results
from helpers.results.key_results import IDS, select_key_results, write_key_results

PUBLISHED = Path(__file__).resolve().parents[1] / "study" / "published.yaml"
VISITS = {"BASELINE": 0, "MONTH 3": 3, "MONTH 6": 6, "MONTH 12": 12, "MONTH 36": 36}
PATIENT_PARAMS = ("FSMCTOT", "SDMTTOT", "BDITOT", "MSISPHYS", "MSISPSY", "TSQMEFF", "TSQMSE",
                  "TSQMCON", "TSQMGLO", "EDSS")
CG_PARAMS = ("MSISPHYS", "MSISPSY", "SF36PCS", "SF36MCS", "SF36RE", "ZBITOT")
N = 120  # subgroups > 13 subjects: scipy would run slow exhaustive permutation tests


def _adsl(rng: np.random.Generator) -> pd.DataFrame:
    ids = [f"S{i:03d}" for i in range(N)]
    saf = np.arange(N) >= 2          # S000, S001 never treated
    fas = saf & (np.arange(N) != 5)  # S005 not in FAS
    cg = fas & (np.arange(N) % 3 != 0)
    return pd.DataFrame({
        "USUBJID": ids,
        "COUNTRY": np.where(np.arange(N) % 2 == 0, "DNK", "ITA"),
        "SEX": rng.choice(["F", "M"], N), "AGE": rng.integers(20, 60, N).astype(float),
        "MSDURY": rng.uniform(0, 20, N).round(1), "NPRIORDMT": rng.integers(0, 6, N) * 1.0,
        "ENRFL": "Y", "SAFFL": np.where(saf, "Y", "N"), "FASFL": np.where(fas, "Y", "N"),
        "COMPFL": np.where(np.arange(N) % 4 == 1, "N", "Y"),
        "DCSREAS": np.where(np.arange(N) % 4 == 1,
                            np.array(["ADVERSE EVENT", "DEATH", "OTHER", "LOST TO FOLLOW-UP"])[
                                np.arange(N) % 4], None),
        "DTHDT": pd.to_datetime(np.where(np.arange(N) == 9, "2019-05-01", None)),
        "DTHFL": np.where(np.arange(N) == 9, "Y", "N"),
        "YRSSTUDY": 3.0, "NREL": 0.0,
        "EOSSTT": np.where(np.arange(N) % 4 == 1, "DISCONTINUED", "COMPLETED"),
        "RETRTFL": np.where(np.arange(N) % 7 == 3, "Y", "N"),
        "NALEMCRS": np.where(saf, np.where(np.arange(N) % 7 == 3, 3.0, 2.0), 0.0),
        "OTHTRTFL": np.where(np.arange(N) % 11 == 4, "Y", "N"),
        "CGREL": np.where(cg, "SPOUSE/PARTNER", None),
        "CGPOPFL": np.where(cg, "Y", "N"),
        "CGSEX": np.where(cg, rng.choice(["F", "M"], N), None),
        "CGAGE": np.where(cg, rng.integers(25, 70, N), np.nan),
        "CGYEARS": np.where(cg, rng.choice([0.5, 1.0, 3.2], N), np.nan),
        "CGEMPLOY": np.where(cg, rng.choice(["FULL-TIME", "RETIRED"], N), None),
        "CGCHILD": np.where(cg, rng.choice(["Y", "N"], N), None),
    })


def _adqs(rng: np.random.Generator, adsl: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for respondent, params in (("PATIENT", PATIENT_PARAMS), ("CAREGIVER", CG_PARAMS)):
        for param in params:
            for i, sid in enumerate(adsl["USUBJID"]):
                last = list(VISITS)[: 2 + (i % 4)]  # 1 to 4 post-baseline visits
                base = float(rng.integers(20, 80))
                for v in last:
                    aval = base if v == "BASELINE" else base + float(rng.integers(-15, 10))
                    rows.append({"USUBJID": sid, "RESPONDENT": respondent, "PARAMCD": param,
                                 "AVISIT": v, "AVISITN": float(VISITS[v]), "AVAL": aval,
                                 "BASE": base, "ABLFL": "Y" if v == "BASELINE" else "N",
                                 "EOSFL": "Y" if v == last[-1] else "N", "ANLFL": "Y"})
    adqs = pd.DataFrame(rows)
    adqs["CHG"] = np.where(adqs["AVISITN"] > 0, adqs["AVAL"] - adqs["BASE"], np.nan)
    no_base = adqs["USUBJID"].eq("S007") & adqs["PARAMCD"].eq("BDITOT")
    adqs.loc[no_base, "CHG"] = np.nan  # a subject without baseline: no change
    adqs = adqs[~(no_base & adqs["ABLFL"].eq("Y"))]
    adqs.loc[adqs.sample(frac=0.03, random_state=1).index, "ANLFL"] = "N"
    return adqs.reset_index(drop=True)


def _adae(rng: np.random.Generator) -> pd.DataFrame:
    n = 120
    return pd.DataFrame({
        "USUBJID": [f"S{i:03d}" for i in rng.integers(0, N, n)],
        "AEDECOD": rng.choice(["Headache", "Pyrexia", "Rash", "Nausea"], n, p=[.3, .3, .3, .1]),
        "AESEV": rng.choice(["MILD", "MODERATE", "SEVERE"], n),
        "TRTEMFL": rng.choice(["Y", "N"], n, p=[0.9, 0.1]),
        "AEREL": "N", "AESER": "N", "AEACN": "DOSE NOT CHANGED", "AEOUT": "RECOVERED",
    })


def _adtte(rng: np.random.Generator, adsl: pd.DataFrame) -> pd.DataFrame:
    saf = adsl.loc[adsl["SAFFL"].eq("Y"), "USUBJID"]
    parts = [pd.DataFrame({"USUBJID": saf, "PARAMCD": "TTFSMCI",
                           "AVAL": rng.uniform(2, 36, len(saf)),
                           "CNSR": rng.integers(0, 2, len(saf)).astype(float)})]
    for k in (1, 2, 3):
        at_risk = saf.iloc[: len(saf) - 5 * (k - 1)]
        parts.append(pd.DataFrame({"USUBJID": at_risk, "PARAMCD": f"RELY{k}",
                                   "AVAL": rng.poisson(0.15, len(at_risk)) * 1.0,
                                   "CNSR": np.nan}))
    return pd.concat(parts, ignore_index=True)


@dataclass(frozen=True)
class KeyResultSettings:
    """The run parameters the notebooks' statistics depend on."""

    efficacy_population: str = "FAS"
    country: str | None = None
    sample_size: tuple[tuple[str, float], ...] = (
        ("effect_size", 0.4), ("alpha", 0.05), ("power", 0.9), ("dropout", 0.15))


def run_ard(adam: Adam, settings: KeyResultSettings) -> pd.DataFrame:
    """The ARD rows the four notebooks' compute cells write, from the same helpers calls."""
    c, population = settings.country, settings.efficacy_population
    enrolled = analysis_set(adam.adsl, "ENR", c)
    eff, saf = analysis_set(adam.adsl, population, c), analysis_set(adam.adsl, "SAF", c)
    cg = analysis_set(adam.adsl, "CG", c)
    p_params = [p for group in labels.PATIENT_GROUPS.values() for p in group]
    c_params = [p for group in labels.CAREGIVER_GROUPS.values() for p in group]
    p_records = cfb.analysed_records(adam.adqs, eff["USUBJID"], "PATIENT", p_params)
    c_records = cfb.analysed_records(adam.adqs, cg["USUBJID"], "CAREGIVER", c_params)
    teae = safety.teae(adam.adae, saf)
    return ard.combine([
        disposition.disposition_ard(enrolled),
        baseline.baseline_ard(enrolled, adam.adqs, "ENR"),
        baseline.baseline_ard(enrolled[enrolled[POPULATION_FLAGS[population]].eq("Y")],
                              adam.adqs, population),
        sample_size.sample_size_ard(**dict(settings.sample_size)),
        cfb.summary_ard(p_records, p_params, "outcomes", population),
        efficacy.km_ard(efficacy.tte_subset(adam.adtte, "TTFSMCI", eff["USUBJID"]), "fsmc_km",
                        population),
        efficacy.relapse_ard(saf, adam.adtte),
        efficacy.retreatment_ard(saf),
        caregiver.characteristics_ard(cg),
        caregiver.baseline_ard(adam.adqs, cg, c_params),
        cfb.summary_ard(c_records, c_params, "cg_outcomes", "CG"),
        safety.overview_ard(teae, saf),
        safety.pt_ard(teae, len(saf)),
    ])


def compute_key_results(adam: Adam, settings: KeyResultSettings) -> pd.DataFrame:
    return select_key_results(run_ard(adam, settings))


@pytest.fixture(scope="module")
def adam() -> Adam:
    rng = np.random.default_rng(11)
    adsl = _adsl(rng)
    return Adam(adsl, _adqs(rng, adsl), _adae(rng), _adtte(rng, adsl), pd.DataFrame())


@pytest.fixture(scope="module")
def results(adam: Adam) -> dict[str, object]:
    kr = compute_key_results(adam, KeyResultSettings())
    return dict(zip(kr["id"], kr["value"], strict=True))


def _p(x: pd.Series) -> float:
    return stats.wilcoxon(x.round(9), zero_method="wilcox", method="auto").pvalue


def _analysed(adam: Adam, flag: str, respondent: str, param: str) -> pd.DataFrame:
    """ANLFL Y records of the population's subjects whose baseline record is analysed (ABLFL Y,
    ANLFL Y): the tables' definition (data-spec.md), which key results select."""
    subjects = adam.adsl.loc[adam.adsl[flag].eq("Y"), "USUBJID"]
    q = adam.adqs
    q = q[q["USUBJID"].isin(subjects) & q["RESPONDENT"].eq(respondent) & q["PARAMCD"].eq(param)
          & q["ANLFL"].eq("Y")]
    return q[q["USUBJID"].isin(q.loc[q["ABLFL"].eq("Y"), "USUBJID"])]


def _eos(adam: Adam, flag: str, respondent: str, param: str) -> pd.DataFrame:
    q = _analysed(adam, flag, respondent, param)
    return q[q["EOSFL"].eq("Y") & q["CHG"].notna()]


def test_ids_follow_published_yaml() -> None:
    published = yaml.safe_load(PUBLISHED.read_text(encoding="utf-8"))
    assert list(IDS) == [f["id"] for section in published.values() for f in section]


def test_one_row_per_id_in_order(adam: Adam) -> None:
    kr = compute_key_results(adam, KeyResultSettings())
    assert list(kr.columns) == ["id", "value"]
    assert kr["id"].tolist() == list(IDS)


def test_disposition_and_baseline(adam: Adam, results: dict[str, object]) -> None:
    adsl = adam.adsl
    assert results["n_enrolled"] == N
    assert results["n_safety"] == (adsl["SAFFL"] == "Y").sum()
    assert results["n_completed"] == (adsl["COMPFL"] == "Y").sum()
    assert results["n_disc_ae"] == adsl["DCSREAS"].isin(["ADVERSE EVENT", "DEATH"]).sum()
    assert results["n_deaths"] == 1
    assert results["pct_female"] == pytest.approx(100 * (adsl["SEX"] == "F").mean())
    assert results["age_sd"] == pytest.approx(np.std(adsl["AGE"], ddof=1))
    q = adam.adqs
    base = q[(q["PARAMCD"] == "FSMCTOT") & (q["RESPONDENT"] == "PATIENT")
             & (q["ABLFL"] == "Y") & (q["ANLFL"] == "Y")]["AVAL"]
    assert results["fsmc_bl_mean"] == pytest.approx(base.mean())


def test_patient_eos_changes(adam: Adam, results: dict[str, object]) -> None:
    fsmc = _eos(adam, "FASFL", "PATIENT", "FSMCTOT")["CHG"]
    assert results["fsmc_chg_eos_median"] == pytest.approx(np.median(fsmc))
    assert results["fsmc_chg_eos_min"] == fsmc.min()
    assert results["fsmc_chg_eos_max"] == fsmc.max()
    assert results["fsmc_chg_eos_p"] == pytest.approx(_p(fsmc))
    bdi = _eos(adam, "FASFL", "PATIENT", "BDITOT")
    assert "S007" not in set(bdi["USUBJID"])
    assert results["bdi_eos_median"] == pytest.approx(np.median(bdi["AVAL"]))


def test_min_by_visit_p(adam: Adam, results: dict[str, object]) -> None:
    r = _analysed(adam, "FASFL", "PATIENT", "TSQMGLO")
    r = r[r["AVISITN"] > 0]
    expected = min(_p(g["CHG"]) for _, g in r.groupby("AVISIT"))
    assert results["tsqm_glo_min_p"] == pytest.approx(expected)


def test_direction_rule_gives_nan_for_the_wrong_direction(adam: Adam) -> None:
    worse = adam.adqs.copy()
    edss = worse["PARAMCD"].eq("EDSS") & worse["CHG"].notna()
    worse.loc[edss, "CHG"] = worse.loc[edss, "CHG"].abs() + 1
    kr = compute_key_results(Adam(adam.adsl, worse, adam.adae, adam.adtte, adam.exclusions),
                             KeyResultSettings())
    assert np.isnan(kr.set_index("id").loc["edss_chg_eos_p", "value"])


def test_km_relapses_retreatment(adam: Adam, results: dict[str, object]) -> None:
    fas = adam.adsl.loc[adam.adsl["FASFL"].eq("Y"), "USUBJID"]
    t = adam.adtte
    tte = t[(t["PARAMCD"] == "TTFSMCI") & t["USUBJID"].isin(fas)]
    kmf = KaplanMeierFitter().fit(tte["AVAL"], tte["CNSR"] == 0)
    assert results["fsmc_cri_months"] == pytest.approx(kmf.median_survival_time_)
    y2 = t[t["PARAMCD"] == "RELY2"]
    assert results["relapse_pct_y2"] == pytest.approx(100 * (y2["AVAL"] >= 1).mean())
    saf = adam.adsl[adam.adsl["SAFFL"] == "Y"]
    assert results["retreat_alem_pct"] == pytest.approx(100 * (saf["RETRTFL"] == "Y").mean())


def test_caregivers(adam: Adam, results: dict[str, object]) -> None:
    cg = adam.adsl[adam.adsl["CGPOPFL"] == "Y"]
    assert results["cg_n"] == len(cg)
    assert results["cg_pct_over1yr"] == pytest.approx(100 * (cg["CGYEARS"] > 1).mean())
    chg = _eos(adam, "CGPOPFL", "CAREGIVER", "MSISPSY")["CHG"]
    assert results["cg_msis_psych_chg_eos_median"] == pytest.approx(np.median(chg))
    assert results["cg_burden_chg_eos_p"] == pytest.approx(
        _p(_eos(adam, "CGPOPFL", "CAREGIVER", "ZBITOT")["CHG"]))


def test_safety(adam: Adam, results: dict[str, object]) -> None:
    saf = adam.adsl.loc[adam.adsl["SAFFL"] == "Y", "USUBJID"]
    te = adam.adae[(adam.adae["TRTEMFL"] == "Y") & adam.adae["USUBJID"].isin(saf)]
    subjects = te.groupby("AEDECOD")["USUBJID"].nunique()
    assert results["ae_pct_rash"] == pytest.approx(100 * subjects["Rash"] / len(saf))
    top = subjects.reset_index().sort_values(["USUBJID", "AEDECOD"], ascending=[False, True])
    assert results["ae_top3"] == ", ".join(top["AEDECOD"].head(3))
    assert results["n_severe_ae"] == (te["AESEV"] == "SEVERE").sum()


def test_country_and_population_settings(adam: Adam) -> None:
    kr = compute_key_results(adam, KeyResultSettings(country="DNK", efficacy_population="COMP"))
    v = kr.set_index("id")["value"]
    assert v["n_enrolled"] == (adam.adsl["COUNTRY"] == "DNK").sum()
    dnk = Adam(adam.adsl.assign(COMPFL=adam.adsl["COMPFL"].where(
        adam.adsl["COUNTRY"].eq("DNK"), "N")), adam.adqs, adam.adae, adam.adtte, adam.exclusions)
    chg = _eos(dnk, "COMPFL", "PATIENT", "SDMTTOT")["CHG"]
    assert v["sdmt_chg_eos_median"] == pytest.approx(chg.dropna().median())


def test_planned_sample_size_follows_settings(adam: Adam) -> None:
    from statsmodels.stats.power import TTestPower

    n = TTestPower().solve_power(effect_size=0.4, alpha=0.05, power=0.9)
    kr = compute_key_results(adam, KeyResultSettings(sample_size=(
        ("effect_size", 0.4), ("alpha", 0.05), ("power", 0.9), ("dropout", 0.15))))
    assert kr.set_index("id").loc["n_planned", "value"] == int(np.ceil(np.ceil(n) / 0.85))


def test_write_is_deterministic(adam: Adam, tmp_path: Path) -> None:
    kr = compute_key_results(adam, KeyResultSettings())
    write_key_results(kr, tmp_path / "a.csv")
    write_key_results(kr, tmp_path / "b.csv")
    a = (tmp_path / "a.csv").read_bytes()
    assert a == (tmp_path / "b.csv").read_bytes()
    back = pd.read_csv(tmp_path / "a.csv", dtype=str, keep_default_na=False)
    assert back["id"].tolist() == list(IDS)
    row = back.set_index("id")["value"]
    assert float(row["fsmc_chg_eos_p"]) == pytest.approx(
        kr.set_index("id").loc["fsmc_chg_eos_p", "value"], rel=1e-9)
    assert row["ae_top3"].count(", ") == 2


def test_a_figure_whose_row_the_data_cannot_give_is_not_computed(adam: Adam) -> None:
    """No analysed caregiver: their figures are empty (NaN), an unreported AE term is 0 %."""
    results = run_ard(adam, KeyResultSettings())
    kept = results[~results["analysis"].isin(["cg_outcomes", "ae_pt"])]
    v = select_key_results(kept).set_index("id")["value"]
    assert np.isnan(v["cg_burden_chg_eos_p"]) and np.isnan(v["cg_sf36_re_chg_eos_p"])
    assert v["ae_pct_rash"] == 0.0


def _cell(**stats: float) -> pd.DataFrame:
    return pd.DataFrame([{"analysis": "a", "population": "P", "paramcd": "", "variable": "",
                          "visit": "", "group": "", "level": "", "stat": s, "value": v,
                          "method": "m", "notebook": "nb"} for s, v in stats.items()])


@pytest.mark.parametrize(
    ("cell", "stat", "expected"),
    [
        (_cell(n=44.0, N=86.0, pct=51.2), "pct", "86"),  # a percentage: its denominator
        (_cell(n=87.0, N=87.0), "n", "87"),  # a count of the population: the population
        (_cell(n=84.0, median=-7.3), "median", "84"),  # a statistic: the subjects analysed
        (_cell(n=80.0), "n", ""),  # the figure is the n itself (a planned sample size)
        (_cell(median=12.5), "median", ""),
    ],
)
def test_n_is_the_size_of_the_population_a_figure_describes(cell, stat, expected) -> None:
    assert key_results._population_size(cell, stat) == expected


def test_the_ard_row_is_named_by_its_keys(adam: Adam) -> None:
    ard_rows = run_ard(adam, KeyResultSettings()).assign(notebook="nb")
    rows = key_results.ledger_rows(ard_rows).set_index("id")
    assert rows.loc["fsmc_cri_months", "ard_row"] == (
        "analysis=fsmc_km, paramcd=TTFSMCI, variable=AVAL, stat=median")
    assert rows.loc["relapse_pct_y1", "ard_row"] == "analysis=relapses, group=Year 1, stat=pct"
    assert rows.loc["n_planned", "n"] == ""
