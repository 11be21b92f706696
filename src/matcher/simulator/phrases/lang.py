"""Small phrase banks for the multilingual minority of creators and brands (es, pt, de, fr).

Each language has generic fragments (openers, time words, feelings, calls to action, off-topic
lines, bio bits, sponsorship wording, brief templates) and a little vocabulary per niche
family (``NicheSpec.family``). Fields are ``;``-separated strings; ``phrases.lang_bank``
splits them. Creators writing in these languages still use many English hashtags, as real
ones do.
"""

from __future__ import annotations

LANG: dict[str, dict[str, str]] = {
    "es": {
        "openers": "bueno; hoy; por fin; atención; ojo; chicas; amigos; qué os parece; nuevo post; "
        "os cuento; a ver; mirad",
        "time": "esta mañana; hoy; el finde; ayer; esta semana; el domingo; esta noche; después del curro",
        "feelings": "me encanta; qué maravilla; estoy enamorada; brutal; qué ganas; "
        "no puedo más; felicidad total; top; increíble",
        "cta": "link en la bio; guárdalo para luego; cuéntame en comentarios; etiqueta a una amiga; "
        "¿cuál prefieres?; más en stories; sígueme para más",
        "off": "domingo de descanso; cumple de mi hermana; lunes otra vez; día de playa con la familia; "
        "cena con amigas; no sé qué ponerme hoy; mudanza terminada; viernes por fin; "
        "tarde de lluvia y peli; resumen de la semana",
        "bio": "amante del café; mamá de dos; colaboraciones por DM; vivo en; contenido diario; "
        "hablo de lo que me gusta",
        "sponsor": "#publi; #colaboración; en colaboración con; gracias a; código de descuento",
        "fashion": "look del día; mi armario cápsula; vestido de lino; zapatillas nuevas; estilo diario; "
        "tendencias de temporada; chaqueta vaquera; mis básicos",
        "beauty": "rutina de skincare; protector solar; sérum de vitamina c; maquillaje natural; "
        "piel sensible; labial nuevo",
        "travel": "escapada de fin de semana; viaje en pareja; playas escondidas; ruta por el norte; "
        "maleta de mano; hotel con encanto",
        "outdoors": "ruta de senderismo; subida al pico; acampada libre; botas de montaña; "
        "lago de montaña; amanecer en la cumbre",
        "food": "receta fácil; cena rápida; pan casero; comida vegana; tortilla de patatas; "
        "brunch del domingo; postre sin azúcar; paella casera",
        "fitness": "entreno de pierna; rutina en casa; media maratón; clase de yoga; "
        "proteína vegetal; salir a correr",
        "family": "vida de mamá; con los peques; actividades para niños; el cole; "
        "noche de pelis en familia; embarazo",
        "home": "decoración del salón; plantas de interior; reforma del baño; rincón de lectura; "
        "hazlo tú mismo; vida sostenible",
        "tech": "móvil nuevo; mi escritorio; videojuegos; ahorro e inversión; trucos de productividad; "
        "auriculares inalámbricos",
        "pets": "mi perro; paseo con el perrete; gato dormilón; adopta no compres",
        "culture": "libro del mes; club de lectura; novela favorita; lecturas de verano",
        "brief": "Somos {brand}, {kind}. Buscamos creadores que hablen de {topic} para {goal} {product}. "
        "Entregables: {deliv}.;Hola creadores 👋 {brand} lanza {product}. Buscamos perfiles de "
        "{topic} con comunidad real. Tono cercano. {deliv}.",
        "goal": "dar a conocer; lanzar; impulsar las ventas de; crear contenido UGC sobre",
    },
    "pt": {
        "openers": "gente; bom dia; olha só; finalmente; novidade; amigas; vamos falar de; então",
        "time": "hoje de manhã; hoje; no fim de semana; ontem; essa semana; no domingo; hoje à noite",
        "feelings": "amei; que delícia; apaixonada; perfeito; que saudade; sem palavras; "
        "muito feliz; incrível",
        "cta": "link na bio; salva pra depois; me conta nos comentários; marca uma amiga; "
        "qual você prefere?; mais nos stories; me segue pra mais",
        "off": "domingo de preguiça; aniversário da minha mãe; segunda-feira de novo; "
        "praia com a família; jantar com as amigas; sextou; dia de chuva e filme; "
        "resumo da semana; mudança feita",
        "bio": "apaixonada por café; mãe de dois; parcerias via DM; moro em; conteúdo diário",
        "sponsor": "#publi; #publicidade; em parceria com; obrigada; cupom de desconto",
        "fashion": "look do dia; guarda-roupa cápsula; vestido de linho; tênis novo; estilo diário; "
        "tendências da estação",
        "beauty": "rotina de skincare; protetor solar; sérum de vitamina c; maquiagem leve; "
        "pele sensível; batom novo",
        "travel": "viagem de fim de semana; praias escondidas; roteiro de viagem; mala de mão; "
        "pousada charmosa",
        "outdoors": "trilha; cachoeira escondida; acampamento; bota de trilha; nascer do sol na montanha",
        "food": "receita fácil; jantar rápido; pão caseiro; comida vegana; café da manhã; "
        "bolo de cenoura; brigadeiro",
        "fitness": "treino de perna; treino em casa; corrida de rua; aula de yoga; proteína vegetal",
        "family": "vida de mãe; com as crianças; atividades para crianças; escola; gravidez",
        "home": "decoração da sala; plantas; reforma do banheiro; faça você mesmo; vida sustentável",
        "tech": "celular novo; meu setup; games; investimentos; dicas de produtividade",
        "pets": "meu cachorro; passeio com o dog; gatinho; adote não compre",
        "culture": "livro do mês; clube do livro; romance favorito",
        "brief": "Somos a {brand}, {kind}. Procuramos criadores que falem de {topic} para {goal} "
        "{product}. Entregas: {deliv}.;Oi criadores 👋 A {brand} está lançando {product}. "
        "Buscamos perfis de {topic} com público engajado. {deliv}.",
        "goal": "divulgar; lançar; aumentar as vendas de; criar conteúdo UGC sobre",
    },
    "de": {
        "openers": "also; endlich; heute; kurzes update; ihr lieben; neuer post; mal ehrlich; "
        "wer kennt es",
        "time": "heute morgen; heute; am wochenende; gestern; diese woche; am sonntag; heute abend; "
        "nach der arbeit",
        "feelings": "ich liebe es; so schön; mega; einfach traumhaft; bin verliebt; "
        "richtig gut; glücklich",
        "cta": "link in der bio; speichern für später; schreibt es in die kommentare; "
        "markiert eine freundin; welches gefällt euch?; mehr in meiner story",
        "off": "sonntag auf dem sofa; geburtstag meiner schwester; montag schon wieder; "
        "tag am see mit der familie; essen mit freundinnen; umzug geschafft; "
        "endlich freitag; regentag und film; wochenrückblick",
        "bio": "kaffee-liebhaberin; mama von zwei; kooperationen per DM; lebe in; täglicher content",
        "sponsor": "#werbung; #anzeige; in kooperation mit; danke an; rabattcode",
        "fashion": "outfit des tages; capsule wardrobe; leinenkleid; neue sneaker; alltagslook; "
        "trends der saison",
        "beauty": "hautpflege routine; sonnenschutz; vitamin c serum; natürliches make-up; "
        "empfindliche haut",
        "travel": "wochenendtrip; städtereise; versteckte strände; handgepäck; roadtrip",
        "outdoors": "wanderung; gipfel; zelten am see; wanderschuhe; sonnenaufgang in den bergen",
        "food": "einfaches rezept; schnelles abendessen; selbstgebackenes brot; vegan kochen; "
        "sonntagsfrühstück; kuchen backen",
        "fitness": "beintraining; workout zuhause; halbmarathon; yoga stunde; laufen gehen",
        "family": "mama alltag; mit den kindern; bastelideen für kinder; schulstart; schwangerschaft",
        "home": "wohnzimmer deko; zimmerpflanzen; badezimmer renovierung; selbstgemacht; nachhaltig leben",
        "tech": "neues handy; mein setup; gaming; finanzen und sparen; produktivität",
        "pets": "mein hund; gassi gehen; katzenliebe; adoptieren statt kaufen",
        "culture": "buch des monats; lesekreis; lieblingsroman",
        "brief": "Wir sind {brand}, {kind}. Wir suchen Creator, die über {topic} sprechen, um "
        "{product} {goal}. Leistungen: {deliv}.;Hallo Creator 👋 {brand} bringt {product} "
        "auf den Markt. Gesucht: {topic} Profile mit echter Community. {deliv}.",
        "goal": "bekannt zu machen; zu launchen; zu verkaufen; mit UGC zu zeigen",
    },
    "fr": {
        "openers": "alors; enfin; aujourd'hui; petit update; coucou; nouveau post; "
        "on en parle; vous connaissez",
        "time": "ce matin; aujourd'hui; ce week-end; hier; cette semaine; dimanche; ce soir; "
        "après le boulot",
        "feelings": "j'adore; trop beau; coup de coeur; magnifique; je suis fan; trop bien; bonheur",
        "cta": "lien en bio; enregistre pour plus tard; dis-moi en commentaire; "
        "identifie une copine; lequel tu préfères ?; plus en story",
        "off": "dimanche cocooning; anniversaire de ma soeur; encore lundi; "
        "journée plage en famille; dîner entre copines; déménagement terminé; "
        "enfin vendredi; jour de pluie et film; résumé de la semaine",
        "bio": "accro au café; maman de deux; collabs en DM; vit à; contenu tous les jours",
        "sponsor": "#partenariat; #sponsorisé; en partenariat avec; merci à; code promo",
        "fashion": "tenue du jour; garde-robe capsule; robe en lin; nouvelles baskets; "
        "style au quotidien; tendances de la saison",
        "beauty": "routine soin; crème solaire; sérum vitamine c; maquillage naturel; peau sensible",
        "travel": "escapade du week-end; city break; plages cachées; bagage cabine; road trip",
        "outdoors": "randonnée; sommet; bivouac; chaussures de rando; lever de soleil en montagne",
        "food": "recette facile; dîner rapide; pain maison; cuisine vegan; brunch du dimanche; "
        "gâteau au chocolat",
        "fitness": "séance jambes; sport à la maison; semi-marathon; cours de yoga; course à pied",
        "family": "vie de maman; avec les enfants; activités pour enfants; rentrée scolaire; grossesse",
        "home": "déco du salon; plantes vertes; rénovation salle de bain; fait maison; vie durable",
        "tech": "nouveau téléphone; mon setup; jeux vidéo; finances et épargne; productivité",
        "pets": "mon chien; balade avec le chien; mon chat; adopter plutôt qu'acheter",
        "culture": "livre du mois; club de lecture; roman préféré",
        "brief": "Nous sommes {brand}, {kind}. Nous cherchons des créateurs qui parlent de {topic} "
        "pour {goal} {product}. Livrables : {deliv}.;Bonjour les créateurs 👋 {brand} lance "
        "{product}. On cherche des profils {topic} avec une vraie communauté. {deliv}.",
        "goal": "faire connaître; lancer; booster les ventes de; créer du contenu UGC autour de",
    },
}
