# ssh-mosh relay (Python): frames on stdin/stdout <-> one UDP server.
# A frame is a 16-bit big-endian length and that many bytes of datagram.
# Usage: python3 -c "$this" HOST PORT. Exits at EOF on stdin, or when no
# datagram moved for IDLE seconds.
import os, select, socket, struct, sys, time
host, port = sys.argv[1], int(sys.argv[2])
idle = 60
ai = socket.getaddrinfo(host, port, 0, socket.SOCK_DGRAM)[0]
u = socket.socket(ai[0], socket.SOCK_DGRAM)
u.bind((ai[4][0], 0))  # from the server's own address: stays on the host
u.connect(ai[4])
i, o = sys.stdin.fileno(), sys.stdout.fileno()
def out(b):
    while b:
        b = b[os.write(o, b):]
out(b"\0SSH-MOSH-RELAY-1\n")
buf, last = b"", time.time()
while True:
    r = select.select([i, u], [], [], 5)[0]
    if not r and time.time() - last > idle:
        break
    if u in r:
        try:
            d = u.recv(65535)
            last = time.time()
            out(struct.pack(">H", len(d)) + d)
        except OSError:
            pass
    if i in r:
        b = os.read(i, 65536)
        if not b:
            break
        last, buf = time.time(), buf + b
        while len(buf) >= 2:
            n = struct.unpack(">H", buf[:2])[0]
            if len(buf) < 2 + n:
                break
            d, buf = buf[2:2 + n], buf[2 + n:]
            if n:
                try:
                    u.send(d)
                except OSError:
                    pass
