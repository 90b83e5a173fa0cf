"""What a room needs to reach a demo: this machine's LAN addresses, URLs and a QR code.

Addresses are read from the interfaces (`ip -j addr`), never probed with traffic. Where `ip`
is missing (macOS), a UDP socket is `connect`ed towards a documentation address: that only
asks the kernel which source address it would use; no packet leaves the machine.
"""
from __future__ import annotations

import base64
import html
import io
import json
import socket
import subprocess

# Interfaces that are not the machine's LAN: container bridges, veth pairs, VPN-less tunnels.
VIRTUAL_PREFIXES = ("lo", "docker", "br-", "veth", "virbr", "cni", "flannel", "kube", "tun", "tap", "ifb")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
WILDCARD_HOSTS = ("0.0.0.0", "", "::")


def addresses_from_ip_json(interfaces: list[dict]) -> list[str]:
    """Global IPv4 addresses of up, physical-looking interfaces, from `ip -j addr` output."""
    found = []
    for iface in interfaces:
        name = iface.get("ifname", "")
        flags = iface.get("flags", [])
        if name.startswith(VIRTUAL_PREFIXES) or "LOOPBACK" in flags or "UP" not in flags:
            continue
        for addr in iface.get("addr_info", []):
            if addr.get("family") == "inet" and addr.get("scope") == "global":
                found.append(addr["local"])
    return found


def _route_source_address() -> str | None:
    """The source address the kernel would use for outside traffic (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(("192.0.2.1", 9))  # TEST-NET-1: connect() on UDP only picks a route
            address = sock.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def lan_addresses() -> list[str]:
    try:
        proc = subprocess.run(["ip", "-j", "addr"], capture_output=True, text=True, timeout=5)
        if proc.returncode == 0:
            return addresses_from_ip_json(json.loads(proc.stdout))
    except (OSError, ValueError, subprocess.TimeoutExpired):
        pass
    address = _route_source_address()
    return [address] if address else []


def reachable_by_room(publish_host: str) -> bool:
    """Only a port published on all interfaces (or on a LAN address) is reachable from the room."""
    return publish_host not in LOOPBACK_HOSTS and not publish_host.startswith("127.")


def audience_urls(publish_host: str, port: int, addresses: list[str], path: str = "/") -> list[str]:
    """URLs for the room: every LAN address when published on all interfaces, else that host."""
    if publish_host in WILDCARD_HOSTS:
        hosts = addresses
    else:
        hosts = [publish_host]
    return [f"http://{h}:{port}{path}" for h in hosts]


def qr_png(text: str, box_size: int = 8) -> bytes:
    import qrcode
    img = qrcode.make(text, box_size=box_size, border=2)
    buffer = io.BytesIO()
    img.save(buffer, format="PNG")
    return buffer.getvalue()


def qr_text(text: str) -> str:
    """The QR code as text blocks, for a terminal."""
    import qrcode
    qr = qrcode.QRCode(border=1)
    qr.add_data(text)
    out = io.StringIO()
    qr.print_ascii(out=out)
    return out.getvalue()


def url_card(urls: list[str], note: str = ""):
    """Big URLs and a QR code of the first, for a projector (HTML in notebooks, text elsewhere)."""
    from dockyard.display import in_notebook
    if not urls:
        return "no LAN address found: is this machine on a network?"
    if not in_notebook():
        return "\n".join(urls + ([note] if note else []) + [qr_text(urls[0])])
    from IPython.display import HTML
    png = base64.b64encode(qr_png(urls[0])).decode()
    links = "".join(f"<div><a href='{html.escape(u)}' target='_blank'>{html.escape(u)}</a></div>" for u in urls)
    warn = f"<div style='color:#bf8700;font-size:0.7em'>{html.escape(note)}</div>" if note else ""
    return HTML(f"<div style='display:flex;align-items:center;gap:24px;font-family:sans-serif;"
                f"font-size:1.8em'><img src='data:image/png;base64,{png}' style='width:220px'>"
                f"<div>{links}{warn}</div></div>")
