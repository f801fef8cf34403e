"""Files in and out: safe CSV export now; workbooks, GeoPackage and HSDS to come."""
