# Writes files until something stops it.
chunk = b"\xff" * (8 * 2**20)
i = 0
while True:
    with open(f"fill_{i}.bin", "wb") as f:
        for _ in range(2):
            f.write(chunk)
    i += 1
