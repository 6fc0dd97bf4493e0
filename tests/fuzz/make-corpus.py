#!/usr/bin/env python3
# Writes the seed corpus of fuzz-recv and fuzz-wire (tests/fuzz/corpus-*/):
# one valid example of every message, and the fd kinds fuzz-recv knows.
# Run from the top of the tree; the output is committed.
import os
import struct

MAGIC = 0x4D485353

def common(t):
    return struct.pack('<IBBH', MAGIC, 1, t, 0)

def hello(window=64):
    return common(1) + struct.pack('<IIQII', window, 65536, 0, 4096, 0)

def hello_ext(window=64, budget=64 << 20, features=7):
    return hello(window) + struct.pack('<QII', budget, features, 0)

def copy(total, offset, data, meta=b''):
    return common(5) + struct.pack('<QQII', total, offset, len(meta), len(data)) + meta + data

def sender():
    return common(6) + struct.pack('<Q', 0)

def limits(window=128, budget=256 << 20):
    return common(7) + struct.pack('<IIQ', window, 0, budget)

def region(rid=1, size=4096, fd=3, meta=b''):
    return common(2) + struct.pack('<QQiI', rid, size, fd, len(meta)) + meta

def inline(data=b'hello', meta=b''):
    return common(3) + struct.pack('<II', len(meta), len(data)) + meta + data

def release(*ids):
    return common(4) + struct.pack('<II', len(ids), 0) + b''.join(struct.pack('<Q', i) for i in ids)

def rec(ctl, pkt):
    return struct.pack('<BH', ctl, len(pkt)) + pkt

wire = {
    'hello': hello(), 'region': region(meta=b'meta'), 'inline': inline(),
    'release': release(1, 2, 3), 'hello-long': hello_ext() + b'\0' * 8,
    'hello-ext': hello_ext(), 'copy-first': copy(100, 0, b'x' * 40, b'm'),
    'copy-next': copy(100, 40, b'y' * 60), 'sender': sender(), 'limits': limits(),
}
recv = {
    'region-sealed': rec(8 | 1, region(meta=b'm')),
    'region-unsealed': rec(8 | 2, region()),
    'region-pipe': rec(8 | 3, region()),
    'region-own-socket': rec(8 | 4, region()),
    'region-future-write': rec(8 | 5, region()),
    'region-devnull': rec(8 | 6, region()),
    'region-two-fds': rec(8 | 7, region()),
    'inline-then-release': rec(8, inline(b'x' * 100, b'meta')) + rec(0, release(7)),
    'region-wrong-size': rec(8 | 1, region(size=8192)),
    'hello-twice': rec(8, hello()),
    'empty-with-fd': rec(8 | 1, b''),
    'copy-in-pieces': rec(8, copy(100, 0, b'a' * 40, b'm')) + rec(8, copy(100, 40, b'b' * 60)),
    'copy-interrupted': rec(8, copy(100, 0, b'a' * 40)) + rec(8, inline(b'x')),
    'sender-then-region': rec(8, sender()) + rec(8 | 1, region()),
    'limits-then-region': rec(8, limits()) + rec(8 | 1, region()),
}
for name, d in (('corpus-wire', wire), ('corpus-recv', recv)):
    os.makedirs(os.path.join('tests/fuzz', name), exist_ok=True)
    for k, v in d.items():
        with open(os.path.join('tests/fuzz', name, k), 'wb') as f:
            f.write(v)
