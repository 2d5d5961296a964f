"""Entry point of the dashboard (placeholder until the dashboard pages land)."""

import streamlit as st

st.set_page_config(page_title="Bansos Terbuka", layout="wide")
st.title("Bansos Terbuka")
st.write("Dasbor transparansi penyaluran bantuan sosial. / Social assistance transparency dashboard.")
