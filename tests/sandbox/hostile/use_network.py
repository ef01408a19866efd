# Tries to send answers out. The test replaces __PORT__ with a port it listens on.
import socket

PORT = int("__PORT__")

reached = []
for address in [("127.0.0.1", PORT), ("1.1.1.1", 80), ("8.8.8.8", 53)]:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(1.0)
    try:
        s.connect(address)
        s.sendall(b"answers")
        reached.append(address)
    except OSError:
        pass
    finally:
        s.close()
print("reached:", reached)
