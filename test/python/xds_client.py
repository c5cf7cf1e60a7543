"""A gRPC C-core client (python3-grpcio) resolving xds:/// targets through
istiod-lite. Prints the answering backend of each call, one per line.

usage: xds_client.py TARGET COUNT [HEADER=VALUE ...]
The xDS bootstrap comes from GRPC_XDS_BOOTSTRAP_CONFIG.
"""
import sys

import grpc


def main() -> int:
    target, count = sys.argv[1], int(sys.argv[2])
    metadata = tuple(tuple(kv.split("=", 1)) for kv in sys.argv[3:])
    with grpc.insecure_channel(target) as channel:
        hello = channel.unary_unary("/test.Echo/Hello")
        for _ in range(count):
            reply = hello(b"", metadata=metadata or None, timeout=10)
            print(reply.decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
