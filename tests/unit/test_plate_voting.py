"""Multi-frame agreement on plate reads."""

from __future__ import annotations

from gate.vision.plates.voting import PlateVotes, VoteSettings

CONFIDENT = (0.99,) * 7


def test_one_read_is_never_enough() -> None:
    votes = PlateVotes()
    votes.add("粤B12345", 0.99, CONFIDENT)
    assert votes.result().plate is None


def test_two_agreeing_valid_reads_decide() -> None:
    votes = PlateVotes()
    votes.add("粤B12345", 0.95, CONFIDENT)
    votes.add("粤B12345", 0.90, CONFIDENT)
    result = votes.result()
    assert (result.plate, result.support, result.method) == ("粤B12345", 2, "agreement")


def test_invalid_and_weak_reads_are_not_votes() -> None:
    votes = PlateVotes()
    votes.add("粤B1234", 0.99, CONFIDENT[:6])   # too short
    votes.add("粤BI2345", 0.99, CONFIDENT)       # I is not used
    votes.add("粤B12345", 0.30, CONFIDENT)       # weak
    votes.add("粤B12345", 0.95, CONFIDENT)
    assert votes.rejected == 3
    assert votes.result().plate is None


def test_disagreeing_reads_without_a_majority_stay_undecided() -> None:
    votes = PlateVotes(VoteSettings(agreement_frames=2, majority=0.6))
    for text in ("粤B12345", "粤B12845", "粤B12345", "粤B12845"):
        votes.add(text, 0.9, CONFIDENT)
    assert votes.result().plate is None


def test_per_character_vote_resolves_scattered_single_errors_at_the_deadline() -> None:
    votes = PlateVotes(VoteSettings(agreement_frames=3, majority=0.6))
    for text in ("粤B12345", "粤B12845", "粤B72345", "粤B12395"):
        votes.add(text, 0.9, CONFIDENT)
    assert votes.result().plate is None
    late = votes.result(allow_per_character=True)
    assert (late.plate, late.method) == ("粤B12345", "per_character")


def test_per_character_vote_refuses_a_contested_position() -> None:
    votes = PlateVotes(VoteSettings(agreement_frames=5, majority=0.6))
    for text in ("粤B12345", "粤B12845", "粤B12345", "粤B12845"):
        votes.add(text, 0.9, CONFIDENT)
    assert votes.result(allow_per_character=True).plate is None


def test_ruled_out_reads_are_not_votes_and_weigh_against_the_majority() -> None:
    votes = PlateVotes(VoteSettings(agreement_frames=2, majority=0.6))
    for _ in range(3):
        votes.add("皖D22939", 0.97, (0.97,) * 7, ruled_out=True)
    votes.add("皖D22939", 0.97, (0.97,) * 7)
    votes.add("皖D22939", 0.97, (0.97,) * 7)
    result = votes.result()
    assert (votes.counted, votes.rejected, votes.ruled_out) == (2, 3, 3)
    assert result.plate is None  # 2 agreeing reads against 3 that the plate contradicted
    for _ in range(3):
        votes.add("皖D22939", 0.97, (0.97,) * 7)
    assert votes.result().plate == "皖D22939"  # 5 of 8: the agreement outweighs them now
