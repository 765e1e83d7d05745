"""Icons, the .desktop file and the stylesheet, shipped inside the package as voipdesk.resources."""
