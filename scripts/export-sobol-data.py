#!/usr/bin/python3
"""Exports Sobol' data from Debian's python3-scipy (1.10.1) for the planner. Run with Debian's own interpreter
(/usr/bin/python3; the pyenv python3 on PATH cannot see Debian's modules). Writes two files:

  src/Planner/Resources/sobol-joe-kuo-1024.txt
      Joe-Kuo direction numbers (new-joe-kuo-6.21201, as scipy ships them) for dimensions 2..1024, one line per
      dimension: "d s a m_1 .. m_s" with s the degree of the primitive polynomial, a its inner coefficients and
      m_k the initial direction numbers. Dimension 1 is the van der Corput sequence and has no line.

  tests/Biathlon.Planner.Tests/Data/sobol-unscrambled-reference.csv.gz (gzip)
      Unscrambled points from scipy.stats.qmc.Sobol(d=1024, scramble=False) as 30-bit integers (point * 2^30):
      "index,dimension,value" rows for indices 0..31 in every dimension and deep indices in a subset of dimensions.
"""
import sys
import numpy as np
from scipy.stats import qmc

dims = 1024
data = np.load('/usr/lib/python3/dist-packages/scipy/stats/_sobol_direction_numbers.npz')
poly, vinit = data['poly'], data['vinit']
with open('src/Planner/Resources/sobol-joe-kuo-1024.txt', 'w') as out:
    out.write('# Joe-Kuo direction numbers (new-joe-kuo-6.21201), dimensions 2..1024, from scipy 1.10.1: d s a m_1..m_s\n')
    for d in range(1, dims):
        p = int(poly[d])
        s = p.bit_length() - 1
        a = (p >> 1) & ((1 << (s - 1)) - 1)
        m = [int(v) for v in vinit[d, :s]]
        out.write(' '.join(str(x) for x in [d + 1, s, a] + m) + '\n')

engine = qmc.Sobol(d=dims, scramble=False)
points = engine.random(32)
rows = []
for i in range(32):
    for j in range(dims):
        rows.append((i, j, int(round(points[i, j] * 2**30))))
deep_dims = list(range(64)) + list(range(64, dims, 61)) + [dims - 1]
deep = sorted(set([2**k - 1 for k in range(5, 21)] + [2**k for k in range(5, 21)] + [1000, 12345, 99999, 777777]))
for i in deep:
    e = qmc.Sobol(d=dims, scramble=False)
    e.fast_forward(i)
    p = e.random(1)[0]
    for j in deep_dims:
        rows.append((i, j, int(round(p[j] * 2**30))))
import gzip
with gzip.open('tests/Biathlon.Planner.Tests/Data/sobol-unscrambled-reference.csv.gz', 'wt', compresslevel=9) as out:
    out.write('index,dimension,value\n')
    for r in rows:
        out.write('%d,%d,%d\n' % r)
print('wrote', len(rows), 'reference values', file=sys.stderr)
