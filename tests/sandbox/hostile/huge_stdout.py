import sys

print("x" * (64 * 2**20))
for i in range(200_000):
    print(i)
sys.stderr.write("y" * (16 * 2**20))
