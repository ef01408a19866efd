# Grows without bound.
blocks = []
while True:
    blocks.append(bytearray(64 * 2**20))
