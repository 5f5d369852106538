"""Realistic Brazilian demo data: names, valid CPF/CNPJ, +55 phones, a product catalogue."""

from __future__ import annotations

import random
from decimal import Decimal

from erp_bridge.domain.taxid import cnpj_check_digits, cpf_check_digits

FIRST = (
    "Ana Maria Joao Jose Antonio Francisco Carlos Paulo Pedro Lucas Luiz Marcos Luis Gabriel "
    "Rafael Daniel Marcelo Bruno Eduardo Felipe Raimundo Rodrigo Juliana Fernanda Patricia "
    "Aline Camila Amanda Bruna Jessica Leticia Julia Luciana Vanessa Mariana Gabriela Beatriz "
    "Larissa Adriana Sandra Tiago Vinicius Leonardo Gustavo Matheus Helena Alice Laura Sofia"
).split()
LAST = (
    "Silva Santos Oliveira Souza Rodrigues Ferreira Alves Pereira Lima Gomes Costa Ribeiro "
    "Martins Carvalho Almeida Lopes Soares Fernandes Vieira Barbosa Rocha Dias Nascimento "
    "Andrade Moreira Nunes Marques Machado Mendes Freitas Cardoso Ramos Goncalves Santana "
    "Teixeira Araujo Pinto Moura Cavalcanti Batista Campos Monteiro Correia Reis Azevedo"
).split()
BUSINESS = (
    "Padaria",
    "Mercado",
    "Farmacia",
    "Auto Pecas",
    "Restaurante",
    "Lanchonete",
    "Distribuidora",
    "Materiais de Construcao",
    "Papelaria",
    "Hotel",
    "Cafeteria",
    "Clinica",
)
SUFFIX = ("Ltda", "ME", "EIRELI", "S/A", "Comercio Ltda")
DDD = ("11", "21", "31", "41", "51", "61", "71", "81", "85", "19", "27", "48", "62", "92")

# code, description, kind, list price
CATALOGUE: tuple[tuple[str, str, str, str], ...] = (
    ("CAF001", "Cafe torrado e moido 500g", "manufactured", "18.90"),
    ("CAF002", "Cafe em graos 1kg", "manufactured", "42.50"),
    ("CAF003", "Cafe soluvel 200g", "bought", "21.30"),
    ("CAF004", "Capsulas de cafe (10 un)", "manufactured", "19.90"),
    ("ACU001", "Acucar refinado 1kg", "bought", "5.49"),
    ("ACU002", "Adocante liquido 100ml", "bought", "8.90"),
    ("COP001", "Copo descartavel 180ml (100 un)", "bought", "9.80"),
    ("COP002", "Copo de papel 240ml (50 un)", "bought", "14.20"),
    ("FIL001", "Filtro de papel 103 (30 un)", "bought", "4.99"),
    ("MAQ001", "Cafeteira eletrica 30 xicaras", "manufactured", "189.00"),
    ("MAQ002", "Maquina de espresso profissional", "manufactured", "4890.00"),
    ("MAQ003", "Moedor de cafe industrial", "manufactured", "2350.00"),
    ("PEC001", "Resistencia 220V", "bought", "35.00"),
    ("PEC002", "Bomba de agua 15 bar", "bought", "280.00"),
    ("PEC003", "Grupo de extracao", "bought", "640.00"),
    ("PEC004", "Kit vedacao", "bought", "45.00"),
    ("SRV001", "Visita tecnica", "bought", "150.00"),
    ("SRV002", "Manutencao preventiva", "bought", "380.00"),
    ("CHA001", "Cha mate 250g", "bought", "7.80"),
    ("LEI001", "Leite em po 400g", "bought", "16.40"),
    ("CHO001", "Chocolate em po 400g", "bought", "12.60"),
    ("BIS001", "Biscoito amanteigado 300g", "bought", "6.70"),
    ("GUA001", "Guardanapo (500 un)", "bought", "11.90"),
    ("MEX001", "Mexedor de madeira (1000 un)", "bought", "24.00"),
)
# manufactured product -> components
BOMS: dict[str, tuple[tuple[str, str], ...]] = {
    "MAQ001": (("PEC001", "1"), ("PEC004", "1")),
    "MAQ002": (("PEC001", "2"), ("PEC002", "1"), ("PEC003", "1"), ("PEC004", "2")),
    "MAQ003": (("PEC001", "1"), ("PEC004", "1")),
    "CAF001": (("CAF002", "0.5"),),
    "CAF004": (("CAF002", "0.06"),),
}


def cpf(rng: random.Random) -> str:
    """A random valid CPF (digits)."""
    base = "".join(str(rng.randint(0, 9)) for _ in range(9))
    return base + cpf_check_digits(base)


def cnpj(rng: random.Random, store: int = 1) -> str:
    """A random valid CNPJ (digits) for branch ``store``."""
    base = "".join(str(rng.randint(0, 9)) for _ in range(8)) + f"{store:04d}"
    return base + cnpj_check_digits(base)


def mobile(rng: random.Random) -> str:
    """A Brazilian mobile number in E.164."""
    return f"+55{rng.choice(DDD)}9{rng.randint(6000, 9999)}{rng.randint(0, 9999):04d}"


def landline(rng: random.Random) -> str:
    """A Brazilian landline in E.164."""
    return f"+55{rng.choice(DDD)}3{rng.randint(100, 999)}{rng.randint(0, 9999):04d}"


def person(rng: random.Random) -> str:
    """A person's full name."""
    return f"{rng.choice(FIRST)} {rng.choice(LAST)} {rng.choice(LAST)}"


def company(rng: random.Random) -> str:
    """A company name."""
    return f"{rng.choice(BUSINESS)} {rng.choice(LAST)} {rng.choice(SUFFIX)}"


def price(text: str) -> Decimal:
    """A catalogue price."""
    return Decimal(text)
