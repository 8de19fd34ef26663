"""One chunk's life: population, events, the early-help programme, and true outcome labels."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from odahub.synth import dynamics, events_da, intervention
from odahub.synth import events_police as police
from odahub.synth import events_services as services
from odahub.synth.geography import ADDRESSES_PER_OA, Geography
from odahub.synth.identifiers import serial_ids
from odahub.synth.lives import Lives
from odahub.synth.params import (
    EARLY_HELP_RATE_RATIO,
    OUTCOME_DAY,
    PERIOD_DAYS,
    STEP_DAYS,
    STEPS,
    chunk_rng,
)
from odahub.synth.pools import Pools
from odahub.synth.population import YEAR, Population, build_population

# Events that mean a household is known to a service (A&E, school and GP contact do not).
SERVICE_EVENTS = ("crime", "asb", "domestic_abuse", "missing_episode", "cin_referral",
                  "cp_plan", "early_help", "homelessness", "substance_misuse",
                  "fire_incident", "probation")


@dataclass
class ChunkLife:
    chunk: int
    population: Population
    lives: Lives
    events: pd.DataFrame        # person, household, day, event_type, attributes...
    interventions: pd.DataFrame


def simulate_chunk(seed: int, chunk: int, first_household: int, sizes: np.ndarray,
                   geo: Geography, pools: Pools) -> ChunkLife:
    population = build_population(chunk_rng(seed, chunk, 1), chunk, first_household, sizes,
                                  geo, pools, seed)
    lives = Lives.of(population)
    rng = chunk_rng(seed, chunk, 2)
    hotspots = _hotspots(lives, geo)
    lives.dynamics = dynamics.build(chunk_rng(seed, chunk, 3), lives, hotspots)
    crimes = police.crime(rng, lives)
    da_process = events_da.process(lives, crimes)
    da = events_da.domestic_abuse(rng, lives, da_process)
    cin_rate = services.cin_step_rates(lives)
    cin = services.cin_referrals(rng, lives, da, cin_rate)
    exploitation = police.exploitation_rates(lives)
    homeless = services.homelessness(rng, lives)
    home = services.Adversity(da, homeless, cin, crimes, da_process.victim_rate()[:, 0],
                              services.homeless_rate(lives))
    parts = [crimes, police.asb(rng, lives), da,
             police.missing(rng, lives, hotspots, exploitation),
             police.probation(rng, lives, crimes), cin, services.cp_plans(rng, cin),
             services.exploitation_plans(rng, lives, exploitation),
             services.school_attendance(rng, lives), services.exclusions(rng, lives),
             services.early_years(rng, lives, home), services.substance_misuse(rng, lives),
             homeless, services.ae_attendances(rng, lives),
             services.fire_incidents(rng, lives)]
    events = pd.concat(parts, ignore_index=True)
    events["household"] = lives.household_at(events["person"].to_numpy(),
                                              events["day"].to_numpy())
    treated = intervention.select(rng, lives, events)
    events, treated = intervention.apply_effect(rng, events, treated, len(lives.risk))
    events = pd.concat([events, _early_help_events(lives, treated)], ignore_index=True)
    events = events.sort_values(["day", "event_type", "person"], kind="stable")
    events = events.reset_index(drop=True)
    events["event_id"] = serial_ids("E", chunk, 0, len(events), width=7)
    rates = PlantedRates(da_high=da_process.high_rate(), da=da_process.victim_rate(),
                         child_services=cin_rate,
                         exploitation=exploitation.per_household(len(lives.risk)))
    _label(lives, events, treated, rates)
    return ChunkLife(chunk, population, lives, events, treated)


def _hotspots(lives: Lives, geo: Geography) -> np.ndarray:
    """Town-centre OAs where missing children are often found: the chunk's most deprived."""
    oas = np.unique(lives.address0 // ADDRESSES_PER_OA)
    order = np.argsort(geo.oa_imd()[oas], kind="stable")
    return oas[order[: max(1, len(oas) // 25)]]


def _early_help_events(lives: Lives, treated: pd.DataFrame) -> pd.DataFrame:
    from odahub.synth.lives import present

    members = present(lives, treated["household"].to_numpy(), treated["start_day"].to_numpy(),
                      np.arange(len(treated)))
    row = members["event"].to_numpy()
    frame = police.events("early_help", members["person"].to_numpy(),
                          treated["start_day"].to_numpy()[row],
                          programme=treated["programme"].to_numpy()[row],
                          end_day=treated["end_day"].to_numpy()[row],
                          completed=treated["completed"].to_numpy()[row])
    frame["household"] = treated["household"].to_numpy()[row]
    return frame


@dataclass
class PlantedRates:
    """Per household and step: yearly rates of the modelled outcomes given the latent path."""

    da_high: np.ndarray
    da: np.ndarray
    child_services: np.ndarray
    exploitation: np.ndarray


def _thinning(treated: pd.DataFrame, households: int) -> np.ndarray:
    """Per household and step: the share of police events kept (early help thins after start)."""
    keep = np.ones((households, STEPS))
    start = treated["start_day"].to_numpy()
    edges = np.arange(STEPS) * STEP_DAYS
    after = np.clip((edges[None, :] + STEP_DAYS - start[:, None]) / STEP_DAYS, 0, 1)
    keep[treated["household"].to_numpy()] = 1 - (1 - EARLY_HELP_RATE_RATIO) * after
    return keep


def window_probability(rate: np.ndarray, start_day: int, end_day: int) -> np.ndarray:
    """P(at least one event in [start, end)) for yearly step rates: 1 - exp(-integral)."""
    edges = np.arange(STEPS) * STEP_DAYS
    overlap = np.clip(np.minimum(edges + STEP_DAYS, end_day) - np.maximum(edges, start_day),
                      0, None)
    result: np.ndarray = 1 - np.exp(-(rate * overlap[None, :]).sum(axis=1) / YEAR)
    return result


def _label(lives: Lives, events: pd.DataFrame, treated: pd.DataFrame,
           rates: PlantedRates) -> None:
    """True outcomes and the best achievable scores, onto the population's tables."""
    hh = lives.population.households
    persons = lives.population.persons
    n = len(hh)
    edges = np.arange(STEPS) * STEP_DAYS
    formed = np.clip((edges[None, :] + STEP_DAYS - hh["formed_day"].to_numpy()[:, None])
                     / STEP_DAYS, 0, 1)  # households formed by a separation start empty
    keep = _thinning(treated, n) * formed
    da_high = rates.da_high * keep
    hh["p_da_escalation"] = window_probability(da_high, OUTCOME_DAY, PERIOD_DAYS)
    # Planted yearly rates by step (STEP_DAYS each from the period start): the best achievable
    # score for any prediction date and horizon is 1 - exp(-integral of the rate).
    child_services = rates.child_services + services.NOTIFIED * rates.da * formed * (
        lives.dyn.children > 0)
    for name, values in (("planted_da_high_rate", da_high),
                         ("planted_child_services_rate", child_services),
                         ("planted_exploitation_rate", rates.exploitation)):
        hh[name] = list(values.astype(np.float32))
    da = events[events["event_type"] == "domestic_abuse"]
    high_out = da[(da["dash_risk"] == "high") & (da["day"] >= OUTCOME_DAY)]
    hh["da_high_risk_escalation"] = np.isin(np.arange(n), high_out["household"].to_numpy())
    prior = da[da["day"] < OUTCOME_DAY]
    hh["da_incidents_before_outcome"] = np.bincount(prior["household"].to_numpy(), minlength=n)
    known = events[events["event_type"].isin(SERVICE_EVENTS)]["household"].to_numpy()
    hh["known_to_services"] = np.isin(np.arange(n), known)
    hh["early_help"] = np.isin(np.arange(n), treated["household"].to_numpy())
    ey = events[events["event_type"] == "early_years"]
    ready = pd.Series(ey["school_ready"].to_numpy(), index=ey["person"].to_numpy(), dtype=object)
    p_not = pd.Series(ey["p_not_ready"].to_numpy(), index=ey["person"].to_numpy(), dtype=float)
    persons["school_ready"] = ready.reindex(np.arange(len(persons))).to_numpy()
    persons["p_not_school_ready"] = p_not.reindex(np.arange(len(persons))).to_numpy()
    home = lives.household_at(np.arange(len(persons)), np.full(len(persons), OUTCOME_DAY))
    persons["da_high_risk_escalation"] = hh["da_high_risk_escalation"].to_numpy()[home]
