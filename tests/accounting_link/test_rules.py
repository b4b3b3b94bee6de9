"""The status-code rules and the login limiter, one step at a time (no server)."""

from __future__ import annotations

from ledgerhub_accounting_link.exchange import Finished, Purpose, Step, first_step, handle, maybe_added_key
from ledgerhub_accounting_link.login_limit import LoginLimiter
from ledgerhub_accounting_link.qbxml.context import BuildContext
from ledgerhub_accounting_link.qbxml.responses import Found, Reply
from ledgerhub_accounting_link.settings import AccountingLinkSettings

from hub import Action, Customer, Delivery, ExternalRef, Shop
from hub.errors import NeedsAttentionError, RetryableError

from .conftest import Store

CUSTOMER = Customer(id="C-1", first_name="Ann", last_name="Lee")


def _ctx() -> BuildContext:
    return BuildContext(AccountingLinkSettings(), Shop(id="s", name="S"), Store())


def _delivery(external: ExternalRef | None = None) -> Delivery:
    action = Action.UPDATE if external else Action.CREATE
    return Delivery(id=1, connection_id=1, kind=CUSTOMER.kind, record=CUSTOMER, version=2, action=action,
                    idempotency_key="k", external=external)


def _reply(code: int, *found: Found, message: str = "") -> Reply:
    return Reply("1.1", "CustomerAdd", code, "Info" if code < 1000 else "Error", message, tuple(found))


def test_stale_edit_sequence_gives_up_after_two_refreshes() -> None:
    bctx = _ctx()
    step: Step | Finished = Step(_delivery(ExternalRef("L-1", {"edit_sequence": "1"})), Purpose.MOD, "1")
    purposes = []
    for _ in range(3):
        assert isinstance(step, Step)
        step = handle(bctx, step, _reply(3200, message="out-of-date"))
        if isinstance(step, Step):
            purposes.append(step.purpose)
            step = handle(bctx, step, _reply(0, Found(list_id="L-1", edit_sequence="9")))
            assert isinstance(step, Step) and step.edit_sequence == "9"
    assert purposes == [Purpose.REFRESH, Purpose.REFRESH]
    assert isinstance(step, Finished) and isinstance(step.outcome, NeedsAttentionError)
    assert "3200" in step.outcome.message


def test_busy_and_locked_are_retryable_others_need_attention() -> None:
    bctx = _ctx()
    for code, expected in ((3175, RetryableError), (1010, RetryableError), (3140, NeedsAttentionError),
                           (3180, NeedsAttentionError)):
        outcome = handle(bctx, Step(_delivery(), Purpose.ADD), _reply(code, message="QB says no"))
        assert isinstance(outcome, Finished) and type(outcome.outcome) is expected
        assert "QB says no" in outcome.outcome.message


def test_an_add_without_answer_is_probed_first_next_time() -> None:
    bctx = _ctx()
    delivery = _delivery()
    assert first_step(bctx, delivery) == Step(delivery, Purpose.ADD)
    bctx.state.set(maybe_added_key(delivery), "1.1")
    probe = first_step(bctx, delivery)
    assert isinstance(probe, Step) and probe.purpose == Purpose.PROBE
    assert handle(bctx, probe, _reply(1)) == Step(delivery, Purpose.ADD)
    linked = handle(bctx, probe, _reply(0, Found(list_id="L-7", edit_sequence="3", name="Ann Lee")))
    assert isinstance(linked, Finished) and linked.outcome.target_id == "L-7"  # type: ignore[union-attr]
    assert bctx.state.get(maybe_added_key(delivery)) is None


def test_a_mod_without_edit_sequence_reads_it_first() -> None:
    step = first_step(_ctx(), _delivery(ExternalRef("L-1", {})))
    assert isinstance(step, Step) and step.purpose == Purpose.REFRESH


def test_login_lockout_ends_after_a_while() -> None:
    now = [0.0]
    limiter = LoginLimiter(lambda: now[0], max_failures=5, window=60, lockout=300)
    for _ in range(4):
        limiter.failed("ledgerhub-1")
    assert not limiter.locked("ledgerhub-1")
    now[0] = 61.0  # the early failures left the window
    limiter.failed("ledgerhub-1")
    assert not limiter.locked("ledgerhub-1")
    for _ in range(4):
        limiter.failed("ledgerhub-1")
    assert limiter.locked("ledgerhub-1") and not limiter.locked("ledgerhub-2")
    now[0] += 299
    assert limiter.locked("ledgerhub-1")
    now[0] += 2
    assert not limiter.locked("ledgerhub-1")
