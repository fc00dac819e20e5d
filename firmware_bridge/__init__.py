"""Drivers for the serial link to door I/O boards and card readers (OSDP over RS-485).

Only this package (and the GPIO backend) imports hardware libraries: pyserial and
libosdp's Python bindings (`osdp`). See docs/osdp.md.
"""
