"""Independent high-precision DERT values for the tests in src/clv/dert.rs.

Pareto/NBD: Fader, Hardie & Lee (2005), "RFM and CLV", with the Tricomi
function U(s, s; z) from mpmath (not the Kummer-transformed form the crate
uses). BG/NBD and MBG/NBD: the discounted purchase rate given the history,
P(alive) (r+x)/(a+T) 2F1(r+x+1, a; a+b'; -tau/(a+T)) with b' = b+x (BG) or
b+x+1 (MBG), integrated over tau in [0, inf) by mpmath quadrature (not the
by-parts integral the crate uses).

Run: python3 scripts/dert_crosscheck.py
"""
import mpmath as mp

mp.mp.dps = 30


def pareto(r, alpha, s, beta, x, tx, T, delta):
    x = mp.mpf(x)
    alive = (alpha + T) ** (-(r + x)) * (beta + T) ** (-s)
    dead = s * mp.quad(lambda u: (alpha + u) ** (-(r + x)) * (beta + u) ** (-(s + 1)), [tx, T])
    p_alive = alive / (alive + dead)
    z = delta * (beta + T)
    return p_alive * (r + x) / (alpha + T) * (beta + T) ** s * delta ** (s - 1) * mp.hyperu(s, s, z)


def bg(r, alpha, a, b, x, tx, T, delta, extra):
    x = mp.mpf(x)
    k = x + extra
    if k > 0:
        p_alive = 1 / (1 + a / (b + k - 1) * ((alpha + T) / (alpha + tx)) ** (r + x))
    else:
        p_alive = mp.mpf(1)
    A = alpha + T
    rate = lambda u: mp.exp(-delta * u) * mp.hyp2f1(r + x + 1, a, a + b + k, -u / A)
    return p_alive * (r + x) / A * mp.quad(rate, [0, 10, 100, 1000, 10000, mp.inf])


delta = mp.log(mp.mpf("1.15")) / 52
cases = [
    ("pareto cdnow x=2", pareto(0.553, 10.578, 0.606, 11.669, 2, 30.43, 38.86, delta)),
    ("pareto cdnow x=0", pareto(0.553, 10.578, 0.606, 11.669, 0, 0.0, 38.86, delta)),
    ("pareto large s beta", pareto(0.8, 9.0, 45.0, 900.0, 5, 20.0, 52.0, delta)),
    ("bg cdnow x=2", bg(0.243, 4.414, 0.793, 2.426, 2, 30.43, 38.86, delta, 0)),
    ("mbg cdnow x=2", bg(0.525, 6.183, 0.891, 1.614, 2, 30.43, 38.86, delta, 1)),
    ("mbg cdnow x=0", bg(0.525, 6.183, 0.891, 1.614, 0, 0.0, 38.86, delta, 1)),
]
for name, value in cases:
    print(f"{name}: {mp.nstr(value, 17)}")
