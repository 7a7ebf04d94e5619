"""The floor: what the two RS256 signatures of a login flow cost on this machine.

A flow needs two signatures (the ID token and the access token), each RSA-2048 PKCS#1 v1.5
over SHA-256, the way Entra signs. Measured with ``cryptography`` directly on a token-sized
message: no provider can do a login flow for less CPU than this.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .stats import load_average, median

MESSAGE = b"e" * 40 + b"." + b"p" * 900  # a header.payload of an Entra-sized token


@dataclass(frozen=True)
class FloorResult:
    pair_ms_median: float
    pair_cpu_ms: float
    rounds: int
    load: float


def _pair(key: rsa.RSAPrivateKey) -> None:
    key.sign(MESSAGE, padding.PKCS1v15(), hashes.SHA256())
    key.sign(MESSAGE, padding.PKCS1v15(), hashes.SHA256())


def measure(rounds: int = 500) -> FloorResult:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    for _ in range(20):
        _pair(key)
    walls: list[float] = []
    cpu_start = _cpu()
    for _ in range(rounds):
        started = time.perf_counter()
        _pair(key)
        walls.append(time.perf_counter() - started)
    cpu = _cpu() - cpu_start
    return FloorResult(pair_ms_median=median(walls) * 1000, pair_cpu_ms=cpu * 1000 / rounds,
                       rounds=rounds, load=load_average())


def _cpu() -> float:
    return time.thread_time() if hasattr(time, "thread_time") else sum(os.times()[:2])
