import re
from pathlib import Path

from setuptools import find_packages, setup

# Read the version as text: importing the package here fails in pip's isolated build environment.
_here = Path(__file__).parent
version = re.search(r'__version__ = "([^"]+)"', (_here / "qbo_connector" / "__init__.py").read_text()).group(
	1
)

with open(_here / "requirements.txt") as f:
	install_requires = [line.strip() for line in f if line.strip() and not line.startswith("#")]

with open(_here / "requirements-test.txt") as f:
	test_requires = [line.strip() for line in f if line.strip() and not line.startswith(("#", "-r"))]

setup(
	name="qbo_connector",
	version=version,
	description="Keeps ERPNext and QuickBooks Online in step: invoices, credit notes, payments, customers, items",
	author="qbo_connector contributors",
	author_email="maintainers@qbo-connector.invalid",
	license="MIT",
	packages=find_packages(exclude=["tests", "tests.*", "benchmarks", "benchmarks.*"]),
	zip_safe=False,
	include_package_data=True,
	python_requires=">=3.10",
	install_requires=install_requires,
	extras_require={"test": test_requires},
)
